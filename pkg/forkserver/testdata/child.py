# A child for the fork server tests: reports what it inherited, then exits
# with the code the environment asks for.
import json
import os
import sys

import ansible.constants as C

print(json.dumps({
    "argv": sys.argv,
    "cwd": os.getcwd(),
    "env": os.environ.get("CHILD_VALUE"),
    "pid": os.getpid(),
    "pgid": os.getpgrp(),
    "local_tmp": C.DEFAULT_LOCAL_TMP,
    "main": __name__,
}))
sys.stdout.flush()
if os.environ.get("CHILD_SLEEP"):
    import time
    time.sleep(float(os.environ["CHILD_SLEEP"]))
sys.exit(int(os.environ.get("CHILD_EXIT", "0")))
