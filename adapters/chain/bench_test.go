package chain

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/attune-dao/attune/internal/evm"
)

// benchNode is the Compound fixture's proposal 79 with n votes: the real
// ProposalCreated log, then n VoteCast logs by distinct voters, their
// weights cycling through the fixture's real vote weights, five to a
// block, with blockTimestamp in each log. The node answers at most
// 10,000 logs a query, with Infura's refusal and suggested range.
func benchNode(b *testing.B, n int) *fakeNode {
	node, fx := compoundNode(b, 14417075)
	var created fakeLog
	var weights []string
	for i, l := range fx.logs(b) {
		e := fx.Events[i]
		if e.Event == "ProposalCreated" && e.ID == "79" {
			created = l
		}
		if e.Event == "VoteCast" && e.Votes != "0" {
			weights = append(weights, e.Votes)
		}
	}
	node.logs = nil
	node.addLog(created)
	start := uint64(13948314)
	for i := range n {
		var voter evm.Address
		big.NewInt(int64(i + 1)).FillBytes(voter[:])
		l := encodeLog(b, compoundBravo, evVoteCast, start+1+uint64(i/5), uint64(i%5), fmt.Sprintf("0x%064x", i+1),
			voter, "79", i%2, weights[i%len(weights)], "")
		l.block, l.index = start+1+uint64(i/5), uint64(i%5)
		node.logs = append(node.logs, l)
	}
	node.stamp = true
	node.refuse = func(from, to uint64, k int, m []fakeLog) (int, *RPCError) {
		if k <= 10000 {
			return 0, nil
		}
		end := suggestUpTo(from, m, 10000)
		return http.StatusOK, &RPCError{Code: -32005, Message: fmt.Sprintf("query returned more than 10000 results. Try with this block range [%s, %s].", hexQ(from), hexQ(end))}
	}
	return node
}

// BenchmarkRead100kLogs reads a governor with 100,000 VoteCast logs from
// the local fake node.
func BenchmarkRead100kLogs(b *testing.B) {
	const n = 100_000
	node := benchNode(b, n)
	cfg := compoundConfig()
	cfg.FromBlock = 13935174
	b.ReportAllocs()
	var cpu time.Duration
	ops := 0
	for b.Loop() {
		before := cpuTime()
		s := node.start(b, cfg)
		d, err := s.Read(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(d.History.Votes) != n {
			b.Fatalf("%d votes; want %d", len(d.History.Votes), n)
		}
		cpu += cpuTime() - before
		ops++
		b.ReportMetric(float64(s.lastScan.requests), "getLogs/op")
	}
	// CPU time of the process (source and fake node), which the wall
	// time overstates on a loaded machine.
	b.ReportMetric(cpu.Seconds()/float64(ops), "cpu-s/op")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
