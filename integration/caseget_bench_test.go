package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkCaseGET measures GET /api/v1/complaints/{number} under concurrent
// reads (32 clients on this machine's cores) against the running system:
// open cases, whose answer may ask the workflow, and closed ones, which the
// read model answers alone: the floor a case GET cannot beat. Besides ns/op
// it reports the median, 99th percentile and worst latency, and the share of
// open-case answers that fell back to the read model (live false).
//
//	CI=true go test -run '^$' -bench BenchmarkCaseGET -benchtime 2000x ./integration
func BenchmarkCaseGET(b *testing.B) {
	const cases = 32
	open := make([]string, 0, cases)
	closed := make([]string, 0, cases)
	for i := range 2 * cases {
		number, err := benchCreate()
		if err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			open = append(open, number)
			continue
		}
		if code, err := benchPost("/api/v1/complaints/"+number+"/withdraw", nil); err != nil || code != http.StatusOK {
			b.Fatalf("withdraw %s: HTTP %d %v", number, code, err)
		}
		closed = append(closed, number)
	}
	defer func() {
		for _, n := range open {
			_, _ = benchPost("/api/v1/complaints/"+n+"/withdraw", nil)
		}
	}()
	for _, bc := range []struct {
		name    string
		numbers []string
	}{{"closed", closed}, {"open", open}} {
		b.Run(bc.name, func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			var fallbacks, answers, failures atomic.Int64
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					number := bc.numbers[rand.IntN(len(bc.numbers))]
					start := time.Now()
					live, err := benchGet(number)
					mine = append(mine, time.Since(start))
					switch {
					case err != nil:
						failures.Add(1)
					case !live:
						fallbacks.Add(1)
					}
					answers.Add(1)
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			if n := failures.Load(); n > 0 {
				b.Fatalf("%d of %d GETs failed", n, answers.Load())
			}
			slices.Sort(lat)
			at := func(q float64) float64 {
				return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(at(0.5), "p50-ms")
			b.ReportMetric(at(0.99), "p99-ms")
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
			b.ReportMetric(float64(fallbacks.Load())/float64(answers.Load()), "not-live")
		})
	}
}

func benchCreate() (string, error) {
	raw, _ := json.Marshal(newComplaintBody("hygiene"))
	resp, err := staffClient().Post(sys.http.URL+"/api/v1/complaints", "application/json", bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var c complaint
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create: HTTP %d %v", resp.StatusCode, err)
	}
	return c.Number, nil
}

func benchPost(path string, body any) (int, error) {
	raw, _ := json.Marshal(body)
	resp, err := staffClient().Post(sys.http.URL+path, "application/json", bytes.NewReader(raw))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// benchGet reads one case and says whether the answer was live.
func benchGet(number string) (bool, error) {
	resp, err := staffClient().Get(sys.http.URL + "/api/v1/complaints/" + number)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var c struct {
		Live bool `json:"live"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("get %s: HTTP %d %v", number, resp.StatusCode, err)
	}
	return c.Live, nil
}
