package chain

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The logs of the ENS governor's deployment (ensdomains/governance
// deployments/mainnet/ENSGovernor.json, receipt of tx 0x97cba35b…, block
// 13533772), byte for byte: GovernorVotesQuorumFraction's constructor
// emitting QuorumNumeratorUpdated(0, 100), and TimelockChange, an event
// this source does not read.
func TestDecodeENSDeploymentLogs(t *testing.T) {
	logs := loadENSLogs(t)
	ev, ok, err := decodeLog(logs[0])
	if err != nil || !ok {
		t.Fatalf("QuorumNumeratorUpdated: %v %v", ok, err)
	}
	if ev.Name != "QuorumNumeratorUpdated" || ev.Old.Sign() != 0 || ev.New.Int64() != 100 || ev.Block != 13533772 || ev.LogIndex != 558 {
		t.Errorf("decoded %+v", ev)
	}
	if _, ok, err := decodeLog(logs[1]); ok || err != nil {
		t.Errorf("TimelockChange must be skipped, not read or refused: %v %v", ok, err)
	}
	bad := logs[0]
	bad.Data = bad.Data[:66]
	if _, _, err := decodeLog(bad); err == nil || !strings.Contains(err.Error(), "QuorumNumeratorUpdated") || !strings.Contains(err.Error(), "0x97cba35b") {
		t.Errorf("a truncated log: %v; want the event and the transaction named", err)
	}
}

// The topics, each the Keccak-256 of the canonical signature, against
// the values published for the same events (testdata/README.md).
func TestTopicsPublished(t *testing.T) {
	for sig, want := range map[string]string{
		evProposalCreated.Canonical(): "0x7d84a6263ae0d98d3329bd7b46bb4e8d6f98cd35a7adb45c274c8b7fd5ebd5e0",
		evVoteCast.Canonical():        "0xb8e138887d0aa13bab447e82de9d5c1777041ecd21ca36ba824ff1e6c07ddda4",
		evVoteCastParams.Canonical():  "0xe2babfbac5889a709b63bb7f598b324e08bc5a4fb9ec647fb3cbc9ec07eb8712",
		evQueued.Canonical():          "0x9a2e42fd6722813d69113e7d0079d3d940171428df7373df9c7f7617cfda2892",
		evExecuted.Canonical():        "0x712ae1383f79ac853f8d882153778e0260ef8f03b504e2866e0593e04d2b291f",
		evCanceled.Canonical():        "0x789cf55be980739dad1d0699b93b58e806b51c9d96619bfa8fe0a28abaa7b30c",
		evExtended.Canonical():        "0x541f725fb9f7c98a30cc9c0ff32fbb14358cd7159c847a3aa20a2bdc442ba511",
		evQuorumUpdated.Canonical():   "0x0553476bf02ef2726e8ce5ced78d63e26e602e4a2257b1f559418e24b4633997",
	} {
		found := false
		for h, s := range eventSigs {
			if s.Canonical() == sig {
				found = true
				if h.Hex() != want {
					t.Errorf("%s: topic %s; want %s", sig, h.Hex(), want)
				}
			}
		}
		if !found {
			t.Errorf("%s is not read", sig)
		}
	}
}

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"# Migrate Contributor Streams to Sablier\nThis proposal": "Migrate Contributor Streams to Sablier",
		"\n\n  ## [EP 6.11] Funding  \nbody":                      "[EP 6.11] Funding",
		"":                                                        "",
		strings.Repeat("é", 130):                                  strings.Repeat("é", 120),
	} {
		if got := title(in); got != want {
			t.Errorf("title(%q) = %q; want %q", in, got, want)
		}
	}
}

// loadENSLogs reads testdata/ens_governor_deployment_logs.json.
func loadENSLogs(t testing.TB) []rawLog {
	t.Helper()
	raw, err := os.ReadFile("testdata/ens_governor_deployment_logs.json")
	if err != nil {
		t.Fatal(err)
	}
	var logs []rawLog
	if err := json.Unmarshal(raw, &logs); err != nil {
		t.Fatal(err)
	}
	return logs
}
