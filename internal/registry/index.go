package registry

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/outpost-edge/outpost/tars/registry"
)

// index is the registry's answer to every query, kept current from informer
// events. It holds only what the informers hold too: every replica that
// watches the same API server builds the same index.
type index struct {
	mu sync.RWMutex

	services map[types.NamespacedName]*service
	byServer map[string]map[types.NamespacedName]*service          // serverKey -> its Services
	slices   map[types.NamespacedName]map[string]*endpointSliceRef // Service -> slice name -> slice

	nodeSite map[string]string // node -> site
	nodeReg  map[string]string // node -> region
	siteReg  map[string]string // site -> region, where its nodes agree
	nodeIPs  map[string][]string
	ipNodes  map[string]map[string]struct{} // address -> the nodes that have it
	pods     map[podKey]podAddrs
	ipPods   map[string]map[podKey]struct{} // address -> the pods that have it
	regs     map[string]*regEntry           // Lease name -> registration
	regByObj map[string]map[string]*regEntry

	objects map[string][]registry.Instance // object -> instances from EndpointSlices, sorted

	subMu  sync.Mutex
	subs   map[int]func(string)
	nextID int

	now func() time.Time
}

type endpointSliceRef = discoveryv1.EndpointSlice

type podKey = types.NamespacedName

// podAddrs is what the index keeps of a pod.
type podAddrs struct {
	node        string
	ips         []string
	terminating bool
	set         string // its LabelSet, when valid
}

// regEntry is one registration of a process outside Kubernetes.
type regEntry struct {
	name    string // the Lease's
	inst    registry.Instance
	expires time.Time
	timer   *time.Timer // tells subscribers when it expires
}

func newIndex() *index {
	return &index{
		services: map[types.NamespacedName]*service{},
		byServer: map[string]map[types.NamespacedName]*service{},
		slices:   map[types.NamespacedName]map[string]*endpointSliceRef{},
		nodeSite: map[string]string{},
		nodeReg:  map[string]string{},
		siteReg:  map[string]string{},
		nodeIPs:  map[string][]string{},
		ipNodes:  map[string]map[string]struct{}{},
		pods:     map[podKey]podAddrs{},
		ipPods:   map[string]map[podKey]struct{}{},
		regs:     map[string]*regEntry{},
		regByObj: map[string]map[string]*regEntry{},
		objects:  map[string][]registry.Instance{},
		subs:     map[int]func(string){},
		now:      time.Now,
	}
}

// Instances implements registry.Source.
func (x *index) Instances(obj string) []registry.Instance {
	x.mu.RLock()
	defer x.mu.RUnlock()
	fromK8s := x.objects[obj]
	regs := x.regByObj[obj]
	out := make([]registry.Instance, len(fromK8s), len(fromK8s)+len(regs))
	copy(out, fromK8s)
	if len(regs) == 0 {
		return out
	}
	now := x.now()
	n := len(out)
	for _, r := range regs {
		if now.Before(r.expires) {
			inst := r.inst
			if inst.Group == "" {
				inst.Group = x.groupOfLocked(inst.Endpoint.Host)
			}
			out = append(out, inst)
		}
	}
	slices.SortFunc(out[n:], compareInstances)
	return out
}

// GroupOf implements registry.Source. An address is looked up as, in turn,
// a pod's (the site of its node), a registered process's (the group it
// declared) and a node's own. Addresses can be ambiguous: a pod IP reused
// while the old pod terminates (running pods win), host-network pods, or
// nodes behind one address; GroupOf answers only when the candidates agree
// on a site.
func (x *index) GroupOf(ip string) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.groupOfLocked(ip)
}

func (x *index) groupOfLocked(ip string) string {
	ip = normalizeIP(ip)
	if pods := x.ipPods[ip]; len(pods) > 0 {
		var running, all []string
		for key := range pods {
			p := x.pods[key]
			site := x.nodeSite[p.node]
			all = append(all, site)
			if !p.terminating {
				running = append(running, site)
			}
		}
		if len(running) > 0 {
			return agreed(running)
		}
		return agreed(all)
	}
	now := x.now()
	for _, r := range x.regs {
		if r.inst.Group != "" && normalizeIP(r.inst.Endpoint.Host) == ip && now.Before(r.expires) {
			return r.inst.Group
		}
	}
	var sites []string
	for node := range x.ipNodes[ip] {
		sites = append(sites, x.nodeSite[node])
	}
	return agreed(sites)
}

// agreed returns the site all of sites name, or "" if they differ.
func agreed(sites []string) string {
	if len(sites) == 0 || slices.ContainsFunc(sites, func(s string) bool { return s != sites[0] }) {
		return ""
	}
	return sites[0]
}

// Subscribe implements registry.Source.
func (x *index) Subscribe(changed func(obj string)) (cancel func()) {
	x.subMu.Lock()
	defer x.subMu.Unlock()
	id := x.nextID
	x.nextID++
	x.subs[id] = changed
	return func() {
		x.subMu.Lock()
		defer x.subMu.Unlock()
		delete(x.subs, id)
	}
}

func (x *index) notify(objs []string) {
	if len(objs) == 0 {
		return
	}
	x.subMu.Lock()
	subs := slices.Collect(maps.Values(x.subs))
	x.subMu.Unlock()
	for _, obj := range objs {
		for _, f := range subs {
			f(obj)
		}
	}
}

// update runs change under the lock, then recomputes the objects it names
// and tells subscribers about those whose instances changed. Subscribers
// run after the lock is released, so they may query the index.
func (x *index) update(change func() (affected []string)) {
	x.mu.Lock()
	var changed []string
	for _, obj := range dedupe(change()) {
		if x.recomputeLocked(obj) {
			changed = append(changed, obj)
		}
	}
	x.mu.Unlock()
	x.notify(changed)
}

// recomputeLocked rebuilds the Kubernetes-derived instances of obj, and
// reports whether its answer changed (registrations are accounted for by
// their callers).
func (x *index) recomputeLocked(obj string) bool {
	app, server, servant, ok := splitObject(obj)
	if !ok {
		return false
	}
	var insts []registry.Instance
	site := func(node string) string { return x.nodeSite[node] }
	podSet := func(ns, name string) string { return x.pods[podKey{Namespace: ns, Name: name}].set }
	for key, svc := range x.byServer[serverKey(app, server)] {
		for port, name := range svc.servants {
			if name != servant {
				continue
			}
			for _, slice := range x.slices[key] {
				insts = svc.sliceInstances(insts, obj, port, slice, site, podSet)
			}
		}
	}
	insts = dedupeInstances(insts)
	old := x.objects[obj]
	if len(insts) == 0 {
		delete(x.objects, obj)
	} else {
		x.objects[obj] = insts
	}
	return !slices.Equal(old, insts)
}

// dedupeInstances sorts insts and keeps one instance per transport, host
// and port: an endpoint moving between slices can show in two for a
// moment, and a pod behind two Services of one server would count twice.
// The active one wins.
func dedupeInstances(insts []registry.Instance) []registry.Instance {
	slices.SortFunc(insts, func(a, b registry.Instance) int {
		if c := compareInstances(a, b); c != 0 {
			return c
		}
		if a.Active != b.Active { // active first
			if a.Active {
				return -1
			}
			return 1
		}
		return 0
	})
	return slices.CompactFunc(insts, func(a, b registry.Instance) bool { return compareInstances(a, b) == 0 })
}

// compareInstances orders by address, so that every replica lists the same
// instances in the same order.
func compareInstances(a, b registry.Instance) int {
	return cmp.Or(
		cmp.Compare(a.Endpoint.Host, b.Endpoint.Host),
		cmp.Compare(a.Endpoint.Port, b.Endpoint.Port),
		cmp.Compare(a.Endpoint.Proto, b.Endpoint.Proto),
	)
}

// allObjectsLocked lists every object the index answers for from
// Kubernetes, for changes (a node's site) that may touch any of them.
func (x *index) allObjectsLocked() []string {
	var objs []string
	for _, svc := range x.services {
		objs = append(objs, svc.objects()...)
	}
	return objs
}

func (x *index) setService(key types.NamespacedName, svc *service) {
	x.update(func() []string {
		var affected []string
		if old := x.services[key]; old != nil {
			affected = old.objects()
			sk := serverKey(old.app, old.server)
			delete(x.byServer[sk], key)
			if len(x.byServer[sk]) == 0 {
				delete(x.byServer, sk)
			}
			delete(x.services, key)
		}
		if svc != nil {
			affected = append(affected, svc.objects()...)
			x.services[key] = svc
			sk := serverKey(svc.app, svc.server)
			if x.byServer[sk] == nil {
				x.byServer[sk] = map[types.NamespacedName]*service{}
			}
			x.byServer[sk][key] = svc
		}
		return affected
	})
}

// setSlice records (or with nil, forgets) an EndpointSlice of Service svc.
func (x *index) setSlice(svc types.NamespacedName, name string, slice *discoveryv1.EndpointSlice) {
	x.update(func() []string {
		if slice == nil {
			delete(x.slices[svc], name)
			if len(x.slices[svc]) == 0 {
				delete(x.slices, svc)
			}
		} else {
			if x.slices[svc] == nil {
				x.slices[svc] = map[string]*endpointSliceRef{}
			}
			x.slices[svc][name] = slice
		}
		if s := x.services[svc]; s != nil {
			return s.objects()
		}
		return nil
	})
}

// setNode records a node's site and addresses; nil forgets the node.
func (x *index) setNode(name, site, region string, ips []string, deleted bool) {
	x.mu.RLock()
	same := !deleted && x.nodeSite[name] == site && x.nodeReg[name] == region && slices.Equal(x.nodeIPs[name], ips)
	x.mu.RUnlock()
	if same {
		return // a status heartbeat: nothing the registry uses changed
	}
	x.update(func() []string {
		for _, ip := range x.nodeIPs[name] {
			removeFrom(x.ipNodes, ip, name)
		}
		siteChanged := x.nodeSite[name] != site
		regionChanged := x.nodeReg[name] != region
		delete(x.nodeSite, name)
		delete(x.nodeReg, name)
		delete(x.nodeIPs, name)
		if !deleted {
			if site != "" {
				x.nodeSite[name] = site
			}
			if region != "" {
				x.nodeReg[name] = region
			}
			x.nodeIPs[name] = ips
			for _, ip := range ips {
				addTo(x.ipNodes, ip, name)
			}
		}
		if siteChanged || regionChanged {
			x.siteRegionsLocked()
		}
		if siteChanged {
			return x.allObjectsLocked()
		}
		return nil
	})
}

// siteRegionsLocked recomputes which region each site is in: the region
// label its nodes agree on.
func (x *index) siteRegionsLocked() {
	regions := map[string][]string{}
	for node, site := range x.nodeSite {
		regions[site] = append(regions[site], x.nodeReg[node])
	}
	clear(x.siteReg)
	for site, rs := range regions {
		if r := agreed(rs); r != "" {
			x.siteReg[site] = r
		}
	}
}

// RegionOf is the region of a site, for the name service's locality rules
// (tars/registry Rules.RegionOf), or "" when its nodes name none or
// disagree.
func (x *index) RegionOf(site string) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.siteReg[site]
}

// StrictLocal reports whether obj's callers may only be served by instances
// at their own site (Rules.StrictLocal): a Service of its server says so in
// AnnotationStrictLocal.
func (x *index) StrictLocal(obj string) bool {
	app, server, servant, ok := splitObject(obj)
	if !ok {
		return false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, svc := range x.byServer[serverKey(app, server)] {
		if svc.strictAll || slices.Contains(svc.strict, servant) {
			return true
		}
	}
	return false
}

// setPod records which node a pod's addresses are on and its set; deleted
// forgets it. A change of set recomputes the objects the pod serves.
func (x *index) setPod(key podKey, p podAddrs, deleted bool) {
	x.update(func() []string {
		old := x.pods[key]
		for _, ip := range old.ips {
			removeFrom(x.ipPods, ip, key)
		}
		delete(x.pods, key)
		if deleted || p.node == "" || len(p.ips) == 0 {
			p = podAddrs{}
		} else {
			x.pods[key] = p
			for _, ip := range p.ips {
				addTo(x.ipPods, ip, key)
			}
		}
		if old.set == p.set {
			return nil
		}
		return x.objectsOfPodLocked(key)
	})
}

// objectsOfPodLocked lists the objects whose slices list pod key.
func (x *index) objectsOfPodLocked(key podKey) []string {
	var objs []string
	for svcKey, byName := range x.slices {
		svc := x.services[svcKey]
		if svcKey.Namespace != key.Namespace || svc == nil {
			continue
		}
		for _, sl := range byName {
			if listsPod(sl, key.Name) {
				objs = append(objs, svc.objects()...)
				break
			}
		}
	}
	return objs
}

// listsPod reports whether sl has an endpoint of the named pod.
func listsPod(sl *discoveryv1.EndpointSlice, pod string) bool {
	return slices.ContainsFunc(sl.Endpoints, func(ep discoveryv1.Endpoint) bool {
		return ep.TargetRef != nil && ep.TargetRef.Kind == "Pod" && ep.TargetRef.Name == pod
	})
}

func addTo[K comparable](m map[string]map[K]struct{}, ip string, k K) {
	if m[ip] == nil {
		m[ip] = map[K]struct{}{}
	}
	m[ip][k] = struct{}{}
}

func removeFrom[K comparable](m map[string]map[K]struct{}, ip string, k K) {
	delete(m[ip], k)
	if len(m[ip]) == 0 {
		delete(m, ip)
	}
}

// setRegistration records (or with nil, forgets) the registration held by
// Lease name.
func (x *index) setRegistration(name string, inst *registry.Instance, expires time.Time) {
	x.mu.Lock()
	var changed []string
	if old := x.regs[name]; old != nil {
		if old.timer != nil {
			old.timer.Stop()
		}
		delete(x.regs, name)
		delete(x.regByObj[old.inst.Object], name)
		if len(x.regByObj[old.inst.Object]) == 0 {
			delete(x.regByObj, old.inst.Object)
		}
		if inst == nil || old.inst != *inst || old.expires.After(x.now()) != expires.After(x.now()) {
			changed = append(changed, old.inst.Object)
		}
	} else if inst != nil && expires.After(x.now()) {
		changed = append(changed, inst.Object)
	}
	if inst != nil {
		r := &regEntry{name: name, inst: *inst, expires: expires}
		obj := inst.Object
		// The instance drops out of answers at expiry whether or not the
		// Lease is collected yet; subscribers hear of it then.
		if d := expires.Sub(x.now()); d > 0 {
			r.timer = time.AfterFunc(d, func() { x.notify([]string{obj}) })
		}
		x.regs[name] = r
		if x.regByObj[obj] == nil {
			x.regByObj[obj] = map[string]*regEntry{}
		}
		x.regByObj[obj][name] = r
	}
	x.mu.Unlock()
	x.notify(dedupe(changed))
}

// expired lists the registrations that expired before t.
func (x *index) expired(t time.Time) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var names []string
	for name, r := range x.regs {
		if !t.Before(r.expires) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func dedupe(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// normalizeIP spells an address the way the API server does, so that
// "::ffff:10.0.0.1" or a zero-padded IPv6 address still matches.
func normalizeIP(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return a.Unmap().String()
}
