// Package maglev builds Maglev consistent-hashing lookup tables (Eisenbud et
// al., NSDI 2016): every backend fills the table following its own
// permutation, so removing one of N backends remaps about 1/N of the table.
package maglev

// DefaultSize is the table size: a prime much larger than any pool (the
// paper recommends M > 100 N), small enough to rebuild on every health change.
const DefaultSize = 65537

// Table maps a flow hash to a backend index.
type Table struct {
	entries []int32
}

// New builds a table of size entries (a prime; DefaultSize when 0) over the
// named backends. Names identify backends across rebuilds: a backend keeps
// most of its slots when others come and go. An empty name list gives a table
// whose Lookup returns -1.
func New(names []string, size int) *Table {
	if size <= 1 {
		size = DefaultSize
	}
	t := &Table{}
	n := len(names)
	if n == 0 {
		return t
	}
	m := uint64(size)
	offset := make([]uint64, n)
	skip := make([]uint64, n)
	next := make([]uint64, n)
	for i, name := range names {
		offset[i] = hashString(name, 0x9e3779b97f4a7c15) % m
		skip[i] = hashString(name, 0xc2b2ae3d27d4eb4f)%(m-1) + 1
	}
	t.entries = make([]int32, size)
	for i := range t.entries {
		t.entries[i] = -1
	}
	filled := 0
	for {
		for i := range n {
			c := (offset[i] + next[i]*skip[i]) % m
			for t.entries[c] >= 0 {
				next[i]++
				c = (offset[i] + next[i]*skip[i]) % m
			}
			t.entries[c] = int32(i)
			next[i]++
			filled++
			if filled == size {
				return t
			}
		}
	}
}

// Lookup returns the index (into the names given to New) of the backend for
// hash h, or -1 when the table has no backends.
func (t *Table) Lookup(h uint64) int {
	if len(t.entries) == 0 {
		return -1
	}
	return int(t.entries[h%uint64(len(t.entries))])
}

// hashString is FNV-1a 64 with a seed, finished with a mixer so that nearby
// names spread across the table.
func hashString(s string, seed uint64) uint64 {
	h := uint64(14695981039346656037) ^ seed
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return Mix(h)
}

// Mix is the splitmix64 finaliser: a cheap bijective 64-bit mixer.
func Mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
