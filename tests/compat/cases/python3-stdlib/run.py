import datetime
import decimal
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zlib

print(json.dumps({"b": [1, 2.5, None], "a": "ü"}, sort_keys=True, ensure_ascii=False))
print(hashlib.sha256(b"compat").hexdigest()[:16], hashlib.blake2b(b"x").hexdigest()[:8])
print(re.findall(r"(\w+)=(\d+)", "a=1 b=22 c=x"))
print(len(zlib.compress(b"a" * 10000, 9)), zlib.crc32(b"compat"))
decimal.getcontext().prec = 30
print(decimal.Decimal(1) / decimal.Decimal(7))
print(datetime.datetime(2024, 2, 29, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=1))
db = sqlite3.connect(":memory:")
db.execute("create table t (k text primary key, v integer)")
db.executemany("insert into t values (?, ?)", [("a", 1), ("b", 2), ("c", 3)])
print(db.execute("select group_concat(k), sum(v) from t").fetchone())
with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "file.db"), "w") as handle:
        handle.write("not a database")
    os.makedirs(os.path.join(tmp, "a", "b"))
    for name in ("a/one", "a/b/two"):
        with open(os.path.join(tmp, name), "w") as handle:
            handle.write(name)
    shutil.copytree(os.path.join(tmp, "a"), os.path.join(tmp, "copy"))
    walked = sorted(os.path.relpath(os.path.join(d, f), tmp)
                    for d, _, files in os.walk(tmp) for f in files)
    print(walked)
    shutil.rmtree(os.path.join(tmp, "copy"))
    print(sorted(os.listdir(tmp)))
result = subprocess.run(["sh", "-c", "echo from child; exit 3"], capture_output=True, text=True)
print(repr(result.stdout), result.returncode)
out = subprocess.check_output("seq 3 | tac", shell=True, text=True)
print(out.split())
print(sys.version_info[:2] >= (3, 11), sys.getfilesystemencoding(), sys.stdout.encoding)
print(os.getcwd(), os.path.exists("/proc/self"), os.cpu_count() is not None)
