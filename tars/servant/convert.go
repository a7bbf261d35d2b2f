package servant

// ArgsFromJSON converts a JSON object holding m's in-parameters by name (the
// body of a version 5 request) into the positional TARS encoding of a
// version 1 request. With a MethodDesc built from IDL at run time (package
// dynamic) it lets tools call any function without generated code.
func ArgsFromJSON(m *MethodDesc, body []byte) ([]byte, error) { return jsonToArgs(m, body) }

// ResultsToJSON converts the positional results of a version 1 reply into
// the JSON protocol's {"tars_ret": ret, "outParam": value, ...}.
func ResultsToJSON(m *MethodDesc, buf []byte) ([]byte, error) { return resultsToJSON(m, buf) }
