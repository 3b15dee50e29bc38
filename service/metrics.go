package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/attune-dao/attune/store"
)

// Metrics are the service's Prometheus measurements, in a registry of
// their own (with the Go runtime's and the process's) that a /metrics
// handler serves: promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{}).
//
//	attune_cycles{dao,state}                           cycles in the store by state (read from the store at each scrape)
//	attune_cycle_transitions_total{dao,state}          changes this process recorded, by the state reached
//	attune_cycle_duration_seconds{dao,outcome}         a cycle's run until pending_review or failed
//	attune_trials_total{dao}                           search trials of the cycles drafted
//	attune_simulations_total{dao}                      simulation runs of the calibrated model (search, verification, sweep)
//	attune_llm_tokens_total{dao,kind}                  LLM tokens of the drafts (kind: prompt, completion; cached drafts not counted)
//	attune_llm_cost_usd_total{dao}                     their cost at the configured prices
//	attune_errors_total{dao,cause,kind}                failures by loop.Classify's cause and kind (retries included)
//	attune_reconciles_skipped_total{dao,reason}        reconciles that ran no cycle (reason: unchanged, busy)
//	attune_publications_total{dao,sink,outcome}        sink outcomes (published, already_recorded, failed)
//	attune_workers_busy                                reconciles holding one of the service's workers (Options.Workers)
//	attune_reconciles_waiting                          reconciles waiting for a worker
type Metrics struct {
	reg          *prometheus.Registry
	transitions  *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	trials       *prometheus.CounterVec
	simulations  *prometheus.CounterVec
	tokens       *prometheus.CounterVec
	cost         *prometheus.CounterVec
	errors       *prometheus.CounterVec
	skipped      *prometheus.CounterVec
	publications *prometheus.CounterVec
	busy         prometheus.Gauge
	waiting      prometheus.Gauge
}

// NewMetrics makes the measurements, with the gauge of cycles by state
// read from st at each scrape (none when st is nil).
func NewMetrics(st store.Store) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "attune", Name: name, Help: help}, labels)
	}
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		transitions: counter("cycle_transitions_total", "Changes of a cycle's state this process recorded, by the state reached.", "dao", "state"),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "attune", Name: "cycle_duration_seconds",
			Help: "How long a cycle ran until it was pending review or failed (retries included).",
			// 1 s to about 9 h.
			Buckets: prometheus.ExponentialBuckets(1, 2, 16),
		}, []string{"dao", "outcome"}),
		trials:       counter("trials_total", "Search trials of the cycles drafted.", "dao"),
		simulations:  counter("simulations_total", "Simulation runs of the calibrated model in the cycles drafted: search, verification, assumption sweep.", "dao"),
		tokens:       counter("llm_tokens_total", "LLM tokens spent drafting proposals (drafts from the cache not counted).", "dao", "kind"),
		cost:         counter("llm_cost_usd_total", "Cost of the LLM drafts at the configured prices, in USD.", "dao"),
		errors:       counter("errors_total", "Failures of cycles and publications by cause and kind (terminal or transient), retries included.", "dao", "cause", "kind"),
		skipped:      counter("reconciles_skipped_total", "Reconciles that ran no cycle: unchanged (a cycle of the same config and data exists) or busy (the DAO's lock was held).", "dao", "reason"),
		publications: counter("publications_total", "What became of approved cycles at each sink.", "dao", "sink", "outcome"),
		busy: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "attune", Name: "workers_busy",
			Help: "Reconciles holding one of the service's workers (attune serve --workers): at most that many cycles run at once, across DAOs."}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "attune", Name: "reconciles_waiting",
			Help: "Reconciles waiting for a worker while others run."}),
	}
	m.reg.MustRegister(m.transitions, m.duration, m.trials, m.simulations, m.tokens, m.cost, m.errors, m.skipped, m.publications, m.busy, m.waiting,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if st != nil {
		m.reg.MustRegister(&cycleGauge{st: st, desc: prometheus.NewDesc("attune_cycles", "Cycles in the store by DAO and state.", []string{"dao", "state"}, nil)})
	}
	return m
}

// Registry returns the registry the measurements are in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// scrapeTimeout bounds the store query of a scrape.
const scrapeTimeout = 5 * time.Second

// cycleGauge counts the store's cycles by DAO and state at each scrape,
// so that every replica reports the same figures as the store holds.
type cycleGauge struct {
	st   store.Store
	desc *prometheus.Desc
}

func (g *cycleGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *cycleGauge) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	cs, err := g.st.Cycles(ctx, store.Filter{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.desc, err)
		return
	}
	type key struct {
		dao   string
		state store.State
	}
	n := map[key]int{}
	daos := map[string]bool{}
	for _, c := range cs {
		n[key{c.DAO, c.State}]++
		daos[c.DAO] = true
	}
	// Every state of every DAO, zeros included, so that a state emptied
	// reads 0 rather than vanishing.
	for dao := range daos {
		for _, s := range store.States {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n[key{dao, s}]), dao, string(s))
		}
	}
}
