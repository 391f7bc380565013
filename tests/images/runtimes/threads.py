"""Python threads on the guest kernel: the output depends only on the
program, never on timing or the number of CPUs (compared with docker run)."""

import concurrent.futures
import queue
import sys
import threading
import time


def locked_counter(workers=8, rounds=2000):
    lock = threading.Lock()
    total = [0]

    def work():
        for _ in range(rounds):
            with lock:
                total[0] += 1

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total[0]


def producers_consumers(items=500):
    q = queue.Queue(maxsize=8)
    got = []

    def produce(base):
        for i in range(items):
            q.put(base + i)

    def consume():
        while (item := q.get()) is not None:
            got.append(item)

    consumers = [threading.Thread(target=consume) for _ in range(3)]
    producers = [threading.Thread(target=produce, args=(n * items,)) for n in range(3)]
    for t in consumers + producers:
        t.start()
    for t in producers:
        t.join()
    for _ in consumers:
        q.put(None)
    for t in consumers:
        t.join()
    return sorted(got) == list(range(3 * items))


def barrier_rounds(parties=4, rounds=50):
    barrier = threading.Barrier(parties)
    phase = [0] * parties
    errors = []

    def work(me):
        for r in range(rounds):
            phase[me] = r
            barrier.wait()
            if any(p != r for p in phase):
                errors.append((me, r))
            barrier.wait()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(parties)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return not errors


def condition_handoff(rounds=200):
    cond = threading.Condition()
    turn = [0]

    def player(me):
        for _ in range(rounds):
            with cond:
                cond.wait_for(lambda: turn[0] % 2 == me)
                turn[0] += 1
                cond.notify_all()

    threads = [threading.Thread(target=player, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return turn[0]


def timers_and_events():
    fired = threading.Event()
    timer = threading.Timer(0.05, fired.set)
    timer.start()
    early = fired.wait(0.0)
    late = fired.wait(30)
    timeout = threading.Event().wait(0.05)
    return (early, late, timeout)


def concurrent_sleeps(threads=5, seconds=1.0):
    """Sleepers overlap: five 1 s sleeps take far less than 5 s."""
    start = time.monotonic()
    pool = [threading.Thread(target=time.sleep, args=(seconds,)) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.monotonic() - start < threads * seconds - 1


def thread_locals(workers=6):
    local = threading.local()
    seen = {}

    def work(me):
        local.value = me
        time.sleep(0.01)
        seen[me] = local.value

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return seen == {i: i for i in range(workers)}


def square(n):
    return n * n


def executor():
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        mapped = sum(pool.map(square, range(1000)))
        futures = [pool.submit(pow, 2, n) for n in range(20)]
        done = sorted(f.result() for f in concurrent.futures.as_completed(futures))
        failing = pool.submit(int, "not a number")
        error = type(failing.exception(timeout=60)).__name__
    return mapped, done[-1], error


def main():
    print("locked counter:", locked_counter())
    print("producers/consumers lose nothing:", producers_consumers())
    print("barrier rounds agree:", barrier_rounds())
    print("condition handoffs:", condition_handoff())
    print("timer, event, timeout:", timers_and_events())
    print("sleeps overlap:", concurrent_sleeps())
    print("thread locals:", thread_locals())
    print("executor:", executor())
    print("threads left:", threading.active_count())
    sys.stdout.flush()
    sys.exit(5)


if __name__ == "__main__":
    main()
