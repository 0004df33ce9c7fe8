package reports

import (
	"fmt"
	"slices"
	"sort"
)

// Profile names in the order reports list them.
const (
	ProfileCore     = "core"
	ProfileExtended = "extended"
)

// Summarize counts the cases per profile and derives each profile's result
// and the overall result. Profiles come in the order core, extended, then any
// other name alphabetically. Runners use it to fill ConformanceReport.Profiles
// and Result; renderers use it when a report carries no profiles.
func Summarize(cases []CaseResult) (profiles []ProfileResult, result string) {
	index := map[string]int{}
	for _, c := range cases {
		i, ok := index[c.Profile]
		if !ok {
			i = len(profiles)
			index[c.Profile] = i
			profiles = append(profiles, ProfileResult{Name: c.Profile})
		}
		profiles[i].Statistics.add(c.Status)
		for _, f := range c.Unsupported {
			if !slices.Contains(profiles[i].Unsupported, f) {
				profiles[i].Unsupported = append(profiles[i].Unsupported, f)
			}
		}
	}
	sort.SliceStable(profiles, func(i, j int) bool {
		ri, rj := profileRank(profiles[i].Name), profileRank(profiles[j].Name)
		if ri != rj {
			return ri < rj
		}
		return profiles[i].Name < profiles[j].Name
	})
	var total Statistics
	for i := range profiles {
		profiles[i].Result = profiles[i].Statistics.Result()
		slices.Sort(profiles[i].Unsupported)
		total = total.Plus(profiles[i].Statistics)
	}
	return profiles, total.Result()
}

func profileRank(name string) int {
	switch name {
	case ProfileCore:
		return 0
	case ProfileExtended:
		return 1
	}
	return 2
}

// add counts one case status. Unknown statuses count as failures: a report
// that cannot say a case passed must not look green.
func (s *Statistics) add(status string) {
	switch status {
	case StatusPassed:
		s.Passed++
	case StatusSkipped:
		s.Skipped++
	case StatusNotSupported:
		s.NotSupported++
	default:
		s.Failed++
	}
}

// Total is the number of cases counted.
func (s Statistics) Total() int { return s.Passed + s.Failed + s.Skipped + s.NotSupported }

// Plus is the sum of s and o.
func (s Statistics) Plus(o Statistics) Statistics {
	return Statistics{Passed: s.Passed + o.Passed, Failed: s.Failed + o.Failed,
		Skipped: s.Skipped + o.Skipped, NotSupported: s.NotSupported + o.NotSupported}
}

// Sum adds up the statistics of profiles.
func Sum(profiles []ProfileResult) Statistics {
	var s Statistics
	for _, p := range profiles {
		s = s.Plus(p.Statistics)
	}
	return s
}

// String is the counts in words, "3 passed, 1 failed, 0 skipped", with
// the not-supported count when there is one.
func (s Statistics) String() string {
	out := fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
	if s.NotSupported > 0 {
		out += fmt.Sprintf(", %d not supported", s.NotSupported)
	}
	return out
}

// Result is failure when a case failed, partial when a case was skipped or
// not supported (or nothing ran), and success otherwise.
func (s Statistics) Result() string {
	switch {
	case s.Failed > 0:
		return ResultFailure
	case s.Skipped > 0 || s.NotSupported > 0 || s.Passed == 0:
		return ResultPartial
	}
	return ResultSuccess
}
