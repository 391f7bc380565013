// Java threads on the guest kernel: the output depends only on the
// program, never on timing or the number of CPUs (compared with docker run).
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.LongStream;

public class Threads {
    private static long counter;

    static synchronized void bump() {
        counter++;
    }

    static long synchronizedCounter(int threads, int rounds) throws InterruptedException {
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                for (int r = 0; r < rounds; r++)
                    bump();
            });
            th.start();
            all.add(th);
        }
        for (Thread th : all)
            th.join();
        return counter;
    }

    static long executorSum() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Callable<Long>> tasks = new ArrayList<>();
        for (long i = 0; i < 100; i++) {
            final long base = i * 1000;
            tasks.add(() -> LongStream.range(base, base + 1000).sum());
        }
        long total = 0;
        for (Future<Long> f : pool.invokeAll(tasks))
            total += f.get();
        pool.shutdown();
        pool.awaitTermination(60, TimeUnit.SECONDS);
        return total;
    }

    static String latchesAndBarriers() throws Exception {
        int parties = 4;
        CountDownLatch ready = new CountDownLatch(parties);
        CyclicBarrier barrier = new CyclicBarrier(parties);
        AtomicLong rounds = new AtomicLong();
        List<Thread> all = new ArrayList<>();
        for (int p = 0; p < parties; p++) {
            Thread th = new Thread(() -> {
                ready.countDown();
                try {
                    for (int r = 0; r < 50; r++) {
                        barrier.await();
                        rounds.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            th.start();
            all.add(th);
        }
        boolean allReady = ready.await(60, TimeUnit.SECONDS);
        for (Thread th : all)
            th.join();
        return allReady + " " + rounds.get();
    }

    static int lockConditionHandoff(int rounds) throws InterruptedException {
        ReentrantLock lock = new ReentrantLock();
        Condition changed = lock.newCondition();
        int[] turn = {0};
        List<Thread> players = new ArrayList<>();
        for (int me = 0; me < 2; me++) {
            final int mine = me;
            Thread th = new Thread(() -> {
                for (int r = 0; r < rounds; r++) {
                    lock.lock();
                    try {
                        while (turn[0] % 2 != mine)
                            changed.awaitUninterruptibly();
                        turn[0]++;
                        changed.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            });
            th.start();
            players.add(th);
        }
        for (Thread th : players)
            th.join();
        return turn[0];
    }

    static String waitNotifyAndInterrupt() throws InterruptedException {
        Object monitor = new Object();
        boolean[] flag = {false};
        Thread waiter = new Thread(() -> {
            synchronized (monitor) {
                while (!flag[0]) {
                    try {
                        monitor.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        waiter.start();
        Thread.sleep(20);
        synchronized (monitor) {
            flag[0] = true;
            monitor.notifyAll();
        }
        waiter.join();
        Thread sleeper = new Thread(() -> {
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sleeper.start();
        sleeper.interrupt();
        sleeper.join();
        return "woken " + !waiter.isAlive() + ", interrupted " + !sleeper.isAlive();
    }

    public static void main(String[] args) throws Exception {
        System.out.println("synchronized counter: " + synchronizedCounter(8, 10000));
        System.out.println("executor sum: " + executorSum());
        System.out.println("parallel stream: " + LongStream.rangeClosed(1, 2_000_000).parallel().map(x -> x % 7).sum());
        System.out.println("completable future: " + CompletableFuture.supplyAsync(() -> 20).thenApplyAsync(x -> x + 1).thenCombine(CompletableFuture.supplyAsync(() -> 2), (a, b) -> a * b).get());
        ConcurrentHashMap<Integer, Long> map = new ConcurrentHashMap<>();
        LongStream.range(0, 100_000).parallel().forEach(i -> map.merge((int) (i % 10), 1L, Long::sum));
        System.out.println("concurrent map: " + map);
        System.out.println("latch and barrier: " + latchesAndBarriers());
        System.out.println("lock/condition handoffs: " + lockConditionHandoff(200));
        System.out.println("wait/notify: " + waitNotifyAndInterrupt());
        System.exit(7);
    }
}
