"""`make test`'s passes (tests/run_all.py): every end-to-end module in exactly one SQLite half."""

from __future__ import annotations

from tests.run_all import E2E_FIRST_HALF, MODULES, SECOND_HALF, pass_arguments


def collected(half: set[str], argv: list[str]) -> set[str] | None:
    """The modules a half would run: what it names, or every module it does not ignore."""
    arguments = pass_arguments(half, argv)
    if arguments is None:
        return None
    ignored = {arg.removeprefix("--ignore=tests/") for arg in arguments if arg.startswith("--ignore=")}
    named = {arg.split("::")[0].removeprefix("tests/") for arg in arguments if arg.startswith("tests/test_")}
    return named or set(MODULES) - ignored


def test_without_named_files_the_halves_split_the_modules_between_them():
    first, second = collected(E2E_FIRST_HALF, ["-q"]), collected(SECOND_HALF, ["-q"])
    assert first == E2E_FIRST_HALF and second == SECOND_HALF
    assert first | second == set(MODULES) and not first & second
    assert pass_arguments(None, ["-q"]) == ["-q"]  # the unsplit passes take the arguments as given


def test_a_named_file_goes_to_its_own_half_only():
    argv = ["tests/test_e2e.py::test_x", "-x", "tests/test_tls.py"]
    assert pass_arguments(E2E_FIRST_HALF, argv) == ["-x", "tests/test_tls.py"]
    assert pass_arguments(SECOND_HALF, argv) == ["tests/test_e2e.py::test_x", "-x"]
    assert pass_arguments(E2E_FIRST_HALF, ["tests/test_e2e.py"]) is None
    assert collected(SECOND_HALF, ["tests"]) == SECOND_HALF  # a directory is no file: the ignores stay
