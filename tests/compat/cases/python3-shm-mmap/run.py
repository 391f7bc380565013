import mmap
import os

shared = mmap.mmap(-1, 4096, flags=mmap.MAP_SHARED)
pid = os.fork()
if pid == 0:
    shared[:5] = b"child"
    os._exit(0)
os.waitpid(pid, 0)
print("anonymous shared after fork:", shared[:5])

path = "/tmp/mapped"
with open(path, "wb") as handle:
    handle.write(b"\0" * 4096)
with open(path, "r+b") as handle:
    mapping = mmap.mmap(handle.fileno(), 4096)
    mapping[:6] = b"mapped"
    mapping.flush()
    mapping.close()
with open(path, "rb") as handle:
    print("file mapping written back:", handle.read(6))

from multiprocessing import shared_memory

block = shared_memory.SharedMemory(create=True, size=1024, name="compat")
block.buf[:4] = b"shm!"
other = shared_memory.SharedMemory(name="compat")
print("shm seen by name:", bytes(other.buf[:4]), os.path.exists("/dev/shm/compat"))
other.close()
block.close()
block.unlink()
