#!/usr/bin/env bash
# `make demo`: migrate, seed, start the realtime stand-in (when there is no OpenAI key) and
# daphne, place one simulated call through the real endpoints, then keep serving.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
STANDIN_PORT=${STANDIN_PORT:-8765}
TEXT_PORT=${TEXT_PORT:-8766}
# .demo/ holds this checkout's demo login and the secrets the settings make for it (secrets.env):
# readable by you only, and ignored by git.
mkdir -p -m 700 .demo
export PUBLIC_URL=${PUBLIC_URL:-http://127.0.0.1:$PORT}

if [ -z "${OPENAI_API_KEY:-}" ]; then
  export OPENAI_REALTIME_URL="ws://127.0.0.1:$STANDIN_PORT/v1/realtime"
  # Summaries and extraction go to the stand-in's text API too.
  export OPENAI_BASE_URL="http://127.0.0.1:$TEXT_PORT/v1"
  use_standin=1
else
  use_standin=0
fi

# A demo staff login, made once per checkout and kept out of git.
if [ ! -f .demo/login ]; then
  (umask 077 && printf 'admin %s\n' "$($PY -c 'import secrets; print(secrets.token_urlsafe(12))')" > .demo/login)
fi
read -r demo_user demo_password < .demo/login
export DJANGO_SUPERUSER_USERNAME="$demo_user" DJANGO_SUPERUSER_PASSWORD="$demo_password"

# Twilio's REST API (outbound calls, text replies, hang-ups) is a local fake (started below) unless a
# real account is configured; then the demo places no outbound call and sends no text.
if [ -z "${TWILIO_ACCOUNT_SID:-}" ]; then
  export TWILIO_ACCOUNT_SID="ACdemo0000000000000000000000000000"
  fake_twilio=1
else
  fake_twilio=0
fi

$PY manage.py migrate --noinput >/dev/null
$PY manage.py seed_demo

pids=()
cleanup() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 0' INT TERM

if [ "$use_standin" = 1 ]; then
  $PY manage.py realtime_standin --port "$STANDIN_PORT" --text-port "$TEXT_PORT" >.demo/standin.log 2>&1 &
  pids+=($!)
  echo "Realtime stand-in on ws://127.0.0.1:$STANDIN_PORT, text API on :$TEXT_PORT (no OPENAI_API_KEY set)."
fi
if [ "$fake_twilio" = 1 ]; then
  $PY manage.py fake_twilio >.demo/fake_twilio.log 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q "Fake Twilio REST on" .demo/fake_twilio.log 2>/dev/null && break; sleep 0.1; done
  TWILIO_API_URL=$(sed -n 's/.*Fake Twilio REST on //p' .demo/fake_twilio.log | head -n 1)
  [ -n "$TWILIO_API_URL" ] || { echo "the fake Twilio did not start; see .demo/fake_twilio.log"; exit 1; }
  export TWILIO_API_URL
fi
.venv/bin/daphne -b 127.0.0.1 -p "$PORT" voiceagent.asgi:application >.demo/daphne.log 2>&1 &
pids+=($!)

$PY - "$PORT" <<'PYEOF'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/healthz"
for _ in range(100):
    try:
        urllib.request.urlopen(url, timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(f"the server did not answer {url}; see .demo/daphne.log")
PYEOF
echo "Server on $PUBLIC_URL. Placing a simulated Twilio call from +15550100001 to +15005550006..."
$PY manage.py simulate_call --base-url "$PUBLIC_URL"
echo
echo "The same caller through Plivo, to +15005550009..."
$PY manage.py simulate_call --carrier plivo --base-url "$PUBLIC_URL"

# --- Outbound calls (the fake Twilio answers: a person at +15550100001, a voicemail machine at +15550100077) ---
if [ "$fake_twilio" = 1 ]; then
  echo
  echo "Outbound: the agent calls +15550100001, who answers in person..."
  $PY manage.py place_call --agent "Demo receptionist" --to +15550100001 \
    --purpose "Remind them of tomorrow's 10:00 appointment" --wait 40
  echo
  echo "Outbound: the agent calls +15550100077, answered by a voicemail machine..."
  $PY manage.py place_call --agent "Demo receptionist" --to +15550100077 \
    --purpose "Tell them their order is ready for pick-up" --wait 60
fi

# --- SMS: a text from the demo caller, answered by the agent through the text API; the reply goes
# out by REST (to the fake Twilio when no account is configured) and is read back from the database.
if [ "$fake_twilio" = 1 ]; then
  echo
  echo "A text message from +15550100001 to +15005550006..."
  $PY manage.py simulate_sms --base-url "$PUBLIC_URL" --from-database
fi

# An MCP token for the demo login, made once per checkout like the login itself.
if [ ! -f .demo/mcp_token ]; then
  $PY manage.py mcp_token "$demo_user" --label demo | tail -n 1 > .demo/mcp_token
  chmod 600 .demo/mcp_token
fi
echo
echo "Admin:  $PUBLIC_URL/admin/   login: $demo_user / $demo_password"
echo "Calls:  $PUBLIC_URL/admin/calls/call/   (each call's timeline, recording, cost and summary)"
echo "Texts:  $PUBLIC_URL/admin/sms/smsthread/   (each conversation; text again: manage.py simulate_sms --from-database)"
echo "Outbound: $PUBLIC_URL/admin/outbound/outboundcall/   (attempts and outcomes; call again: manage.py place_call)"
echo "MCP:    $PUBLIC_URL/mcp/   Authorization: Bearer <the token in .demo/mcp_token>"
echo "        or over stdio: .venv/bin/python manage.py mcp_server --user $demo_user"
echo "Call again with: .venv/bin/python manage.py simulate_call --barge-in   (or --carrier plivo)"
echo "Serving until Ctrl-C (logs in .demo/)."
wait
