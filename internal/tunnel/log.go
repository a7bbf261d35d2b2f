package tunnel

import (
	"io"
	"log"
)

// discardLog silences net/http's own error log (TLS handshake noise from
// scanners and dropped agents); what matters is logged with slog.
var discardLog = log.New(io.Discard, "", 0)
