// Goroutines on the guest kernel: the output depends only on the program
// and on $GOMAXPROCS, never on timing (compared with docker run).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// Primes below limit, counted by workers fed through a channel.
func parallelPrimes(workers, limit int) int {
	jobs := make(chan int, 64)
	counts := make(chan int)
	for w := 0; w < workers; w++ {
		go func() {
			n := 0
			for j := range jobs {
				if isPrime(j) {
					n++
				}
			}
			counts <- n
		}()
	}
	for i := 0; i < limit; i++ {
		jobs <- i
	}
	close(jobs)
	total := 0
	for w := 0; w < workers; w++ {
		total += <-counts
	}
	return total
}

func mutexCounter(goroutines, rounds int) int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return counter
}

// A goroutine spinning without function calls must be preempted (by a
// signal) so that a sleeper wakes up and ends it.
func spinnerPreempted() bool {
	var stop atomic.Bool
	var spins atomic.Int64
	done := make(chan bool)
	go func() {
		n := int64(0)
		for !stop.Load() {
			n++
		}
		spins.Store(n)
		done <- true
	}()
	time.Sleep(50 * time.Millisecond)
	stop.Store(true)
	select {
	case <-done:
		return spins.Load() > 0
	case <-time.After(60 * time.Second):
		return false
	}
}

func tickerTicks(n int) int {
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	ticks := 0
	timeout := time.After(60 * time.Second)
	for ticks < n {
		select {
		case <-ticker.C:
			ticks++
		case <-timeout:
			return ticks
		}
	}
	return ticks
}

func pingPong(rounds int) int {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < rounds; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	return v
}

func runChild() string {
	out, err := exec.Command("/bin/echo", "child", "says", "hi").Output()
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(string(out))
}

func main() {
	fmt.Println("GOMAXPROCS:", runtime.GOMAXPROCS(0))
	fmt.Println("primes below 200000:", parallelPrimes(8, 200000))
	fmt.Println("mutex counter:", mutexCounter(100, 1000))
	fmt.Println("spinner preempted:", spinnerPreempted())
	fmt.Println("ticks:", tickerTicks(5))
	fmt.Println("ping-pong:", pingPong(10000))
	fmt.Println("child:", runChild())
	os.Exit(6)
}
