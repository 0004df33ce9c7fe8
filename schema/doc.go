// Package schema is lbcheck's deployment model and its loader.
//
// The model (Deployment, LoadBalancer, Rule, Guest, ...) is what every other
// package works on. Every object embeds Node, which records the position of
// the object and of each field the user wrote, so that findings point at
// file:line:col in the user's file.
//
// # Loading
//
// Load and LoadBytes read native files, picking the format by extension:
// YAML (.yaml, .yml; every document of a multi-document stream), JSON
// (.json) or CUE (.cue; plain data, or data computed with CUE expressions).
// Every document is validated against the embedded CUE schema
// (SchemaSource: #Deployment and one closed definition per model type),
// decoded into the model, and merged with the others (lists concatenated);
// then names and references are checked across the merged deployment.
//
// The error is only for unusable input, an unreadable file or a syntax
// error, and reads "file:line:col: what is wrong" (YAML syntax errors
// carry only a line). Everything else is an Issue, next to a Deployment
// holding every object that could be decoded:
//
//   - LB0001, the input does not match the schema. One issue per value, at
//     the key the user wrote, prefixed with the index path:
//     `loadBalancers.0.loadBalancingRules.1.protocol: "TCP" is not allowed;
//     use one of Tcp, Udp, All`, `frontendPort: 70000 is out of range
//     0..65534`, `loadBalancingRules.0: missing required field backendPort`
//     (at the object), `unknown field "enableFloatingIp" (did you mean
//     enableFloatingIP?)`.
//   - LB1001, a reference to a frontend, backend pool, probe, VM, network
//     interface, IP configuration or network security group that does not
//     exist, a guest for a VM that does not exist, or an IP configuration's
//     subnet missing from a virtual network whose subnets the deployment
//     declares; at the referencing field.
//   - LB1002, a duplicate name: load balancers, VMs, guests (by VM),
//     network security groups, subnets, and within their parent frontends,
//     pools, probes, rules, NAT rules, outbound rules, NICs, IP
//     configurations, security rules and guest interfaces; at the second
//     name.
//
// Issues are sorted by file (in load order), line and column.
//
// # Decoded objects
//
// Node.Pos is where the object starts: the first key of a list element, the
// key of a nested mapping such as a guest's firewall. Node.At(field) is the
// field's key, so the line is the one where the user wrote
// `enableFloatingIP: true`. Node.Path names the object by names, not
// indexes ("loadBalancers.sql-ilb.loadBalancingRules.sql",
// "guests.sql-1.interfaces.Loopback"; an object without a name uses its
// index). Fields the user left out hold the schema's default
// (idleTimeoutInMinutes 4, sku Standard, ...) and Node.Has reports false
// for them. A value the schema rejects is still decoded when its type fits
// the field (a rule with `protocol: TCP` keeps "TCP"); list elements that
// are not mappings are skipped, so lists never hold nil.
//
// Load and LoadBytes are safe for concurrent use.
package schema
