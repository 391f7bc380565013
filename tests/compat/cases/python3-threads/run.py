import queue
import threading
from concurrent.futures import ThreadPoolExecutor

counter = 0
lock = threading.Lock()


def add(times):
    global counter
    for _ in range(times):
        with lock:
            counter += 1


threads = [threading.Thread(target=add, args=(10000,)) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("counter", counter)

work = queue.Queue()
done = []
event = threading.Event()


def consumer():
    while (item := work.get()) is not None:
        done.append(item * item)
    event.set()


thread = threading.Thread(target=consumer)
thread.start()
for i in range(10):
    work.put(i)
work.put(None)
print("event set", event.wait(timeout=30))
thread.join()
print("squares", sum(done))
with ThreadPoolExecutor(max_workers=3) as pool:
    print("pool", list(pool.map(lambda x: x * 2, range(6))))
print("threads alive", threading.active_count())
