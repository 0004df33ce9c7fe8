package schema

import (
	"github.com/lbcheck/lbcheck/internal/safefile"
)

// MaxFileSize is the most bytes lbcheck reads from one input file (a
// native file, an ARM template or parameters file, a Terraform plan,
// Windows output, a Bicep file).
const MaxFileSize = 64 << 20

// ReadFile reads one input file: a regular file of at most MaxFileSize
// bytes (symbolic links to one are followed). A FIFO, device, socket or
// directory is an error naming it, and so is a larger file; neither blocks
// nor reads more than the limit. Errors read "path: what is wrong".
func ReadFile(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path, MaxFileSize)
	return b, fileError(err)
}

// Source is an input file already read: its name, as positions give it,
// and its content.
type Source struct {
	Name string
	Data []byte
}
