package discourse

import "testing"

// The decoders of Discourse's answers never panic; what they return is
// drawn from their input.
func FuzzDecode(f *testing.F) {
	f.Add(`{"errors":["You’ve performed this action too many times. Please wait 10 seconds before trying again."],"error_type":"rate_limit","extras":{"wait_seconds":10,"time_left":"10 seconds"}}`, "Example DAO: Adjust the quorum")
	f.Add(`{"action":"create_post","errors":["Title has already been used"]}`, "x")
	f.Add(`{"topic_list":{"can_create_topic":true,"per_page":30,"topics":[{"id":4821,"title":"Example DAO: Adjust the quorum!","slug":"example-dao-adjust-the-quorum"}]}}`, "example dao adjust the quorum")
	f.Add(`{"topic_list":null}`, "")
	f.Add(`[1,2]`, "t")
	f.Fuzz(func(t *testing.T, body, title string) {
		if e, ok := decodeError(body); ok {
			if len(e.Errors) == 0 && e.ErrorType == "" {
				t.Fatalf("decodeError(%q) reported an empty error", body)
			}
		}
		topics, err := sameTitle([]byte(body), title)
		if err != nil && topics != nil {
			t.Fatal("topics with an error")
		}
		for _, tp := range topics {
			if tp.ID <= 0 || fold(tp.Title) != fold(title) {
				t.Fatalf("sameTitle(%q, %q) returned %+v", body, title, tp)
			}
		}
	})
}
