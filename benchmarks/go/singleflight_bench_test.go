// Go's golang.org/x/sync/singleflight measured in the same scenarios as the .NET suite
// (benchmarks/SingleFlight.Benchmarks), so that one run of run.sh puts both side by side.
// Run it with run.sh, which installs Debian's Go and x/sync when they are missing.
package gobench

import (
	"math/rand"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/singleflight"
)

// The work of every scenario: returns at once, like the .NET suite's synchronous core.
func value() (interface{}, error) { return 42, nil }

// Scenario (a): one caller, one key, nothing else running.
func BenchmarkUncontendedDo(b *testing.B) {
	var g singleflight.Group
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v, err, _ := g.Do("42", value)
		if err != nil || v.(int) != 42 {
			b.Fatal("wrong result")
		}
	}
}

// Scenario (a) through DoChan, the form that lets a caller stop waiting (Go's closest to per-caller cancellation).
func BenchmarkUncontendedDoChan(b *testing.B) {
	var g singleflight.Group
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := <-g.DoChan("42", value)
		if r.Err != nil || r.Val.(int) != 42 {
			b.Fatal("wrong result")
		}
	}
}

// Scenario (c): callers concurrent callers on one key; the work is held at a gate until every caller has
// made its call, so the overlap is certain, not a matter of timing. As in the .NET suite, one goroutine makes
// every call and keeps what it returns (DoChan's channels; Do blocks, so it cannot be called this way), then
// opens the gate and collects every result. One b.N iteration is one whole stampede; the ns/caller metric
// divides it per caller (B/op and allocs/op are per stampede).
func benchmarkStampede(b *testing.B, callers int) {
	pending := make([]<-chan singleflight.Result, callers)
	b.ReportAllocs()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		var g singleflight.Group
		executions := 0
		gate := make(chan struct{})
		work := func() (interface{}, error) {
			executions++
			<-gate
			return 42, nil
		}
		for c := range pending {
			pending[c] = g.DoChan("42", work)
		}
		close(gate)
		for _, ch := range pending {
			if r := <-ch; r.Val.(int) != 42 {
				b.Fatal("wrong result")
			}
		}
		if executions != 1 {
			b.Fatalf("work ran %d times", executions)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/float64(callers), "ns/caller")
}

func BenchmarkStampede1000(b *testing.B)  { benchmarkStampede(b, 1_000) }
func BenchmarkStampede10000(b *testing.B) { benchmarkStampede(b, 10_000) }

// Scenario (d): many keys on all cores (GOMAXPROCS goroutines), keys drawn at random with a fixed seed from
// 1,024 keys, as in ManyKeysBenchmarks; the work returns at once, so nearly every call is its own flight.
func BenchmarkManyKeysParallel(b *testing.B) {
	var g singleflight.Group
	random := rand.New(rand.NewSource(20261125))
	sequence := make([]string, 4096)
	for i := range sequence {
		sequence[i] = strconv.Itoa(random.Intn(1024))
	}
	var worker int32
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(atomic.AddInt32(&worker, 1)) * 1024
		for pb.Next() {
			g.Do(sequence[i&4095], value)
			i++
		}
	})
}
