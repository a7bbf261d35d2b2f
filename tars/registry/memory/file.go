package memory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/outpost-edge/outpost/tars/endpoint"
	"github.com/outpost-edge/outpost/tars/internal/atomicfile"
	"github.com/outpost-edge/outpost/tars/registry"
)

// record is one registration in the file. The endpoint is kept in its
// string form, which is what people read and edit.
type record struct {
	Object   string    `json:"object"`
	Endpoint string    `json:"endpoint"`
	Active   bool      `json:"active"`
	NodeName string    `json:"nodeName,omitempty"`
	Group    string    `json:"group,omitempty"`
	SetID    string    `json:"setId,omitempty"`
	Expires  time.Time `json:"expires,omitzero"`
}

// maxFileSize bounds the file read at start.
const maxFileSize = 64 << 20

func (s *Store) load() error {
	b, err := os.ReadFile(s.file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(b) > maxFileSize {
		return fmt.Errorf("registry file %s: %d bytes (max %d)", s.file, len(b), maxFileSize)
	}
	var recs []record
	if err := json.Unmarshal(b, &recs); err != nil {
		return fmt.Errorf("registry file %s: %w", s.file, err)
	}
	for _, r := range recs {
		ep, err := endpoint.Parse(r.Endpoint)
		if err != nil {
			return fmt.Errorf("registry file %s: %s: %w", s.file, r.Object, err)
		}
		m := s.objs[r.Object]
		if m == nil {
			m = map[string]*entry{}
			s.objs[r.Object] = m
		}
		m[registry.Key(ep)] = &entry{expires: r.Expires, inst: registry.Instance{Object: r.Object, Endpoint: ep,
			Active: r.Active, NodeName: r.NodeName, Group: r.Group, SetID: r.SetID}}
	}
	return nil
}

// saveLocked writes the file atomically (a temporary file renamed over
// it), so that a crash never leaves half a file.
func (s *Store) saveLocked() {
	recs := []record{}
	for _, m := range s.objs {
		for _, e := range m {
			i := e.inst
			recs = append(recs, record{Object: i.Object, Endpoint: i.Endpoint.String(), Active: i.Active,
				NodeName: i.NodeName, Group: i.Group, SetID: i.SetID, Expires: e.expires})
		}
	}
	b, err := json.MarshalIndent(recs, "", "  ")
	if err == nil {
		err = atomicfile.Write(s.file, b)
	}
	if err != nil {
		s.log.Warn("tars registry: saving registrations failed", "file", s.file, "err", err)
	}
}
