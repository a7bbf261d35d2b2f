// Package apireq parses a Kubernetes API request (method, path and query)
// into what the edge proxy needs to know: is it a resource request, which
// resource, which verb, and the list options that decide what the response
// holds. It follows the API server's own rules (k8s.io/apiserver's
// RequestInfoFactory) without depending on the API server packages, and it
// never fails: anything it cannot make sense of is a plain pass-through
// request.
package apireq

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// Verbs, as the API server's authorizer names them.
const (
	VerbGet              = "get"
	VerbList             = "list"
	VerbWatch            = "watch"
	VerbCreate           = "create"
	VerbUpdate           = "update"
	VerbPatch            = "patch"
	VerbDelete           = "delete"
	VerbDeleteCollection = "deletecollection"
	VerbProxy            = "proxy"
)

// Info describes one request.
type Info struct {
	// Resource is true for /api/... and /apis/... requests on a resource;
	// false for discovery, /version, /healthz and the like.
	Resource bool
	Verb     string // lower case; for non-resource requests the lower-case method

	Group, Version string
	ResourceName   string // the collection, e.g. "pods"
	Subresource    string // e.g. "status", "log", "exec", "token"
	Namespace      string // empty for cluster-scoped resources and all-namespace lists
	Name           string

	// Path is the request path, cleaned of a trailing slash.
	Path string

	// List options (list and watch; get uses ResourceVersion only).
	LabelSelector        string // canonical form
	FieldSelector        string // canonical form
	ResourceVersion      string
	ResourceVersionMatch string
	Limit                int64
	Continue             string
	TimeoutSeconds       int64 // 0 when absent
	AllowWatchBookmarks  bool
	SendInitialEvents    *bool

	// BadOptions is set when the request could not be parsed the way the
	// API server would (an empty path segment, a malformed selector, a
	// non-numeric limit...). Such a request is proxied but never cached or
	// served from the cache.
	BadOptions bool
}

// Parse describes the request with the given method and URL.
func Parse(method string, u *url.URL) Info {
	p := strings.TrimSuffix(u.Path, "/")
	info := Info{Path: p, Verb: strings.ToLower(method)}
	parts := splitPath(p)
	if len(parts) < 3 {
		return info
	}
	apis := false
	switch parts[0] {
	case "api":
		parts = parts[1:]
	case "apis":
		apis = true
		parts = parts[1:]
		if len(parts) < 3 {
			return info
		}
		info.Group = parts[0]
		parts = parts[1:]
	default:
		return info
	}
	info.Version = parts[0]
	parts = parts[1:]
	if parts[0] == VerbWatch || parts[0] == VerbProxy {
		if len(parts) < 2 {
			return info // the API server rejects it; pass it through
		}
		info.Verb = parts[0]
		parts = parts[1:]
	} else {
		switch method {
		case http.MethodPost:
			info.Verb = VerbCreate
		case http.MethodGet, http.MethodHead:
			info.Verb = VerbGet
		case http.MethodPut:
			info.Verb = VerbUpdate
		case http.MethodPatch:
			info.Verb = VerbPatch
		case http.MethodDelete:
			info.Verb = VerbDelete
		default:
			info.Verb = ""
		}
	}
	if parts[0] == "namespaces" && len(parts) > 1 {
		info.Namespace = parts[1]
		if len(parts) > 2 && parts[2] != "status" && parts[2] != "finalize" {
			parts = parts[2:]
		}
	}
	info.Resource = true
	for _, s := range parts {
		if s == "" {
			// The API server routes no such path; never cache it.
			info.BadOptions = true
		}
	}
	if info.Version == "" || apis && info.Group == "" {
		info.BadOptions = true
	}
	switch {
	case len(parts) >= 3 && info.Verb != VerbProxy:
		info.Subresource = parts[2]
		fallthrough
	case len(parts) >= 2:
		info.Name = parts[1]
		fallthrough
	default:
		info.ResourceName = parts[0]
	}
	if info.ResourceName == "namespaces" && info.Name != "" {
		// The namespace object itself is cluster-scoped.
		info.Namespace = ""
	}
	info.parseQuery(u.Query())
	if info.Name == "" && info.Verb == VerbGet {
		if info.watchParam(u.Query()) {
			info.Verb = VerbWatch
		} else {
			info.Verb = VerbList
		}
	}
	if info.Name == "" && info.Verb == VerbDelete {
		info.Verb = VerbDeleteCollection
	}
	if info.Verb == VerbWatch && info.Name != "" {
		// A watch of one object, by path (/watch/.../name) or by
		// ?watch=true on the object's path, is the watch of the
		// collection narrowed to that name.
		info.FieldSelector = canonicalFields(joinSelector(info.FieldSelector, "metadata.name="+info.Name), &info.BadOptions)
	}
	return info
}

// watchParam reports whether ?watch= asks for a watch, as the API server
// reads it.
func (i *Info) watchParam(q url.Values) bool {
	v, ok := q["watch"]
	if !ok || len(v) == 0 {
		return false
	}
	return v[0] != "0" && !strings.EqualFold(v[0], "false")
}

func (i *Info) parseQuery(q url.Values) {
	if v := q.Get("labelSelector"); v != "" {
		i.LabelSelector = canonicalLabels(v, &i.BadOptions)
	}
	if v := q.Get("fieldSelector"); v != "" {
		i.FieldSelector = canonicalFields(v, &i.BadOptions)
	}
	i.ResourceVersion = q.Get("resourceVersion")
	i.ResourceVersionMatch = q.Get("resourceVersionMatch")
	i.Continue = q.Get("continue")
	if v := q.Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			i.BadOptions = true
		}
		i.Limit = n
	}
	if v := q.Get("timeoutSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			i.BadOptions = true
		}
		i.TimeoutSeconds = n
	}
	if v := q.Get("allowWatchBookmarks"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			i.BadOptions = true
		}
		i.AllowWatchBookmarks = b
	}
	if v := q.Get("sendInitialEvents"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			i.BadOptions = true
		}
		i.SendInitialEvents = &b
	}
}

// GVR is "group/version/resource" ("/v1/pods" for the core group).
func (i *Info) GVR() string { return i.Group + "/" + i.Version + "/" + i.ResourceName }

// IsCollection is true for list and watch.
func (i *Info) IsCollection() bool { return i.Verb == VerbList || i.Verb == VerbWatch }

// Cacheable is true for the reads whose responses the proxy records: get of
// an object, list and watch of a collection, with options it understands.
func (i *Info) Cacheable() bool {
	if !i.Resource || i.BadOptions || i.Subresource != "" || i.ResourceName == "" {
		return false
	}
	switch i.Verb {
	case VerbGet:
		return i.Name != ""
	case VerbList, VerbWatch:
		return true
	}
	return false
}

// IsWrite is true for requests that change state.
func (i *Info) IsWrite() bool {
	switch i.Verb {
	case VerbCreate, VerbUpdate, VerbPatch, VerbDelete, VerbDeleteCollection:
		return true
	}
	return false
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func joinSelector(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

// canonicalLabels returns the selector in the API machinery's canonical
// form (requirements sorted), so that equivalent selectors share a cache
// entry.
func canonicalLabels(s string, bad *bool) string {
	sel, err := labels.Parse(s)
	if err != nil {
		*bad = true
		return s
	}
	reqs, _ := sel.Requirements()
	out := labels.NewSelector()
	for _, r := range reqs {
		if r.Operator() == selection.DoubleEquals {
			eq, err := labels.NewRequirement(r.Key(), selection.Equals, r.ValuesUnsorted())
			if err != nil {
				*bad = true
				return s
			}
			r = *eq
		}
		out = out.Add(r)
	}
	return out.String()
}

// canonicalFields returns the field selector with its terms sorted and
// duplicates removed.
func canonicalFields(s string, bad *bool) string {
	sel, err := fields.ParseSelector(s)
	if err != nil {
		*bad = true
		return s
	}
	reqs := sel.Requirements()
	terms := make([]string, 0, len(reqs))
	for _, r := range reqs {
		op := "="
		switch r.Operator {
		case "!=":
			op = "!="
		case "=", "==":
			op = "="
		default:
			*bad = true
			return s
		}
		terms = append(terms, r.Field+op+fields.EscapeValue(r.Value))
	}
	sort.Strings(terms)
	out := terms[:0]
	for i, t := range terms {
		if i == 0 || t != terms[i-1] {
			out = append(out, t)
		}
	}
	return strings.Join(out, ",")
}
