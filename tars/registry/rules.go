package registry

// The selection rules of the TARS registry (protocol reference §4.7),
// applied to one object's instances. Each returns the active and inactive
// instances to answer with.

// Rules configures IDC grouping, and Outpost's site locality on top of it.
type Rules struct {
	// GroupPriority lists logical groups in order of preference, used when
	// the caller's own group has no active instance (rule 2 of §4.7).
	GroupPriority []string
	// RegionOf maps a group (an edge site) to its region. When set, a
	// caller whose own group has no active instance gets those of the
	// other groups of its region before the TARS fallbacks. nil: TARS's
	// rules exactly.
	RegionOf func(group string) string
	// StrictLocal reports the objects whose callers may only be served by
	// instances of their own group (the active list may then be empty);
	// nil: every object falls back.
	StrictLocal func(obj string) bool
}

// all returns every instance, no filtering (findObjectById4Any).
func (Rules) all(insts []Instance) (active, inactive []Instance) {
	return splitActive(insts)
}

// sameGroup applies IDC grouping for a caller in group callerGroup:
//  1. active instances in the caller's group;
//     (strict-local objects stop here; with RegionOf, the active instances
//     of the other groups of the caller's region come next);
//  2. else those of the first group of GroupPriority with active instances;
//  3. else the instances with no group;
//  4. else every active instance.
//
// Inactive instances are those of the chosen group (every one in case 4),
// so that a client sees which of "its" instances are down.
func (r Rules) sameGroup(insts []Instance, callerGroup string) (active, inactive []Instance) {
	pickFunc := func(match func(group string) bool) (a, in []Instance) {
		for _, i := range insts {
			if !match(i.Group) {
				continue
			}
			if i.Active {
				a = append(a, i)
			} else {
				in = append(in, i)
			}
		}
		return a, in
	}
	pick := func(group string) (a, in []Instance) {
		return pickFunc(func(g string) bool { return g == group })
	}
	if callerGroup != "" {
		a, in := pick(callerGroup)
		if len(a) > 0 {
			return a, in
		}
		if r.StrictLocal != nil && len(insts) > 0 && r.StrictLocal(insts[0].Object) {
			return a, in
		}
		if r.RegionOf != nil {
			if region := r.RegionOf(callerGroup); region != "" {
				a, in := pickFunc(func(g string) bool { return g != "" && r.RegionOf(g) == region })
				if len(a) > 0 {
					return a, in
				}
			}
		}
	}
	for _, g := range r.GroupPriority {
		if a, in := pick(g); len(a) > 0 {
			return a, in
		}
	}
	if a, in := pick(""); len(a) > 0 {
		return a, in
	}
	return splitActive(insts)
}

// sameStation returns the instances in station (a region or site group)
// only; the result may be empty.
func (Rules) sameStation(insts []Instance, station string) (active, inactive []Instance) {
	var sel []Instance
	for _, i := range insts {
		if i.Group == station {
			sel = append(sel, i)
		}
	}
	return splitActive(sel)
}

// sameSet applies set routing for a caller in set callerSet
// ("name.area.group"):
//   - only callees with sets enabled under the same set name count; if
//     there are none (or the caller's set id is malformed), IDC grouping
//     applies;
//   - a caller in group "*" reaches every group of its area;
//   - otherwise, if the caller's own set group holds callees (alive or
//     dead), only those are returned, and the active list may be empty;
//   - otherwise the area's "*" group is used (possibly empty).
func (r Rules) sameSet(insts []Instance, callerSet, callerGroup string) (active, inactive []Instance) {
	name, area, group, ok := parseSet(callerSet)
	if !ok {
		return r.sameGroup(insts, callerGroup)
	}
	var named []Instance
	for _, i := range insts {
		if n, _, _, ok := parseSet(i.SetID); ok && n == name {
			named = append(named, i)
		}
	}
	if len(named) == 0 {
		return r.sameGroup(insts, callerGroup)
	}
	var exact, star, areaAll []Instance
	for _, i := range named {
		_, a, g, _ := parseSet(i.SetID)
		if a != area {
			continue
		}
		areaAll = append(areaAll, i)
		switch g {
		case group:
			exact = append(exact, i)
		case "*":
			star = append(star, i)
		}
	}
	switch {
	case group == "*":
		return splitActive(areaAll)
	case len(exact) > 0:
		return splitActive(exact)
	default:
		return splitActive(star)
	}
}
