// The call page's recording player. The WAV is fetched whole and played from a blob: seeking then
// works whatever the storage backend does with Range requests. A click on a transcript turn plays
// from its offset; the turn being heard is highlighted.
(function () {
  "use strict";
  const player = document.querySelector(".recording-player");
  if (!player) return;
  const audio = player.querySelector("audio");
  const turns = Array.from(document.querySelectorAll(".timeline li[data-offset-ms]"));
  let loading = null;

  function load() {
    if (!loading) {
      loading = fetch(player.dataset.src, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(`recording: HTTP ${response.status}`);
          return response.blob();
        })
        .then((blob) => {
          audio.src = URL.createObjectURL(blob);
          return new Promise((resolve) => audio.addEventListener("loadedmetadata", resolve, { once: true }));
        })
        .then(() => player.setAttribute("data-state", "ready"));
    }
    return loading;
  }

  function highlight() {
    const now = audio.currentTime * 1000;
    let current = null;
    for (const turn of turns) {
      if (Number(turn.dataset.offsetMs) <= now) current = turn;
    }
    for (const turn of turns) turn.classList.toggle("playing", turn === current);
  }

  turns.forEach((turn) =>
    turn.addEventListener("click", () =>
      load().then(() => {
        audio.currentTime = Number(turn.dataset.offsetMs) / 1000;
        highlight();
        audio.play().catch(() => {}); // a browser may refuse autoplay; the position is set anyway
      }),
    ),
  );
  audio.addEventListener("timeupdate", highlight);
  audio.addEventListener("seeked", highlight);
  load();
})();
