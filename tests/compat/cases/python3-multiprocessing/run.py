import multiprocessing as mp
import os


def square(x):
    return x * x


def bump(shared):
    with shared.get_lock():
        shared.value += 1


def fail():
    os._exit(7)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    shared = ctx.Value("i", 0)
    workers = [ctx.Process(target=bump, args=(shared,)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print("shared value", shared.value)
    bad = ctx.Process(target=fail)
    bad.start()
    bad.join()
    print("exit code", bad.exitcode)
    with ctx.Pool(2) as pool:
        print("pool", pool.map(square, range(8)))
