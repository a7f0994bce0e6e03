# Whether the app's other processes stayed up, run by the release role after
# it restarted them (`systemctl restart --no-block`) and checked the web
# release: waits for the restart jobs to finish, then until the last unit to
# come up has run for the settle time, and prints `systemctl show` for each.
# Arguments: the settle time in seconds, then the units.
import subprocess
import sys
import time

settle, units = float(sys.argv[1]), sys.argv[2:]


def systemctl(*args):
    return subprocess.run(["systemctl", *args, "--", *units], capture_output=True, text=True, check=True).stdout


# A stop waits for the job in hand (each unit's TimeoutStopSec bounds it).
while systemctl("list-jobs", "--no-legend").strip():
    time.sleep(0.2)
entered = [int(line.split("=", 1)[1] or 0)
           for line in systemctl("show", "--property=ActiveEnterTimestampMonotonic").splitlines() if "=" in line]
wait = settle - (time.monotonic() - max(entered, default=0) / 1e6)
if wait > 0:
    time.sleep(wait)
print(systemctl("show", "--property=Id,ActiveState,NRestarts"))
