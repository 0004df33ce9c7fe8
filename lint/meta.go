package lint

import "github.com/lbcheck/lbcheck/schema"

// IDs of the meta rules the engine reports itself (Run is nil for each);
// those of the loader's and importers' issues are schema's.
const (
	ParseFailure          = schema.RuleParse
	SchemaViolation       = schema.RuleSchema
	UnusedSuppression     = "LB0002"
	MalformedSuppression  = "LB0003"
	InternalError         = "LB0004"
	ExpiredSuppression    = "LB0005"
	UnknownValue          = schema.RuleUnknown
	MissingReference      = schema.RuleReference
	DuplicateName         = schema.RuleDuplicate
	ConflictingFloatingIP = schema.RuleTerraformFloatingIP
)

// docsURL is where lbcheck documents its own behaviour; meta rules link to
// sections of it.
const docsURL = "https://github.com/lbcheck/lbcheck/blob/main/ARCHITECTURE.md"

// BugURL is where an internal error asks the user to file a bug.
const BugURL = "https://github.com/lbcheck/lbcheck/issues/new"

// Meta is the catalogue of rules the engine reports itself: schema issues
// from the loader, suppression problems, and rules that crashed. Their Run
// is nil. `lbcheck rules`, SARIF descriptors and HTML reports describe them
// like any other rule.
var Meta = []*Rule{
	{
		ID:       ParseFailure,
		Severity: Error,
		Doc: Doc{
			Title: "file that cannot be parsed",
			Text: "The file is not valid YAML, JSON or CUE (a syntax error, an undefined reference in CUE, " +
				"an alias YAML cannot resolve), so nothing in it was checked. The other files are still " +
				"linted and every output is still written.",
			Fix:    "Fix the syntax at the reported position; `yamllint`, `jq .` or `cue vet` show the same error.",
			Source: docsURL + "#schema-violations",
		},
	},
	{
		ID:       SchemaViolation,
		Severity: Error,
		Doc: Doc{
			Title: "schema violation",
			Text: "The file does not match the lbcheck schema: a field has the wrong type, a value is " +
				"outside the allowed set or range, a required field is missing, or a field is unknown. " +
				"Nothing else about the object can be checked until it is valid.",
			Fix:    "Change the value at the reported position; `lbcheck schema` prints the full schema.",
			Source: docsURL + "#schema-violations",
		},
	},
	{
		ID:       UnusedSuppression,
		Severity: Warning,
		Doc: Doc{
			Title: "unused suppression",
			Text: "An `lbcheck:ignore` directive matched no finding. Either the problem it hid was fixed, " +
				"it names the wrong rule, or it sits on the wrong line; left in place it would hide a " +
				"future problem nobody reviewed.",
			Fix:    "Delete the directive, or move it to the line just above the finding it is meant to hide.",
			Source: docsURL + "#suppressions",
		},
	},
	{
		ID:       MalformedSuppression,
		Severity: Error,
		Doc: Doc{
			Title: "malformed suppression",
			Text: "An `lbcheck:ignore` directive lacks a rule list or the reason that says why the finding " +
				"is acceptable, or a rule pattern is not a valid glob. A malformed directive suppresses nothing.",
			Fix:    "Write `# lbcheck:ignore LB2001[,LB3*] reason` (`// lbcheck:ignore ...` in CUE files).",
			Source: docsURL + "#suppressions",
		},
	},
	{
		ID:       ExpiredSuppression,
		Severity: Warning,
		Doc: Doc{
			Title: "expired suppression",
			Text: "A suppression in .lbcheck.yaml is past its expires date, so it no longer hides the findings it " +
				"accepted: the reason for accepting them was meant to be reviewed by then.",
			Fix:    "Fix the findings and delete the suppression or, if they are still acceptable, give it a new expires date and reason.",
			Source: docsURL + "#suppressions",
		},
	},
	{
		ID:       InternalError,
		Severity: Error,
		Doc: Doc{
			Title: "internal error in a rule",
			Text: "A lint rule crashed. lbcheck kept going with the other rules, but the crashed rule's " +
				"verdict on this input is unknown. This is a bug in lbcheck, not in your files.",
			Fix:    "File a bug at " + BugURL + " with the message and, if you can, the input files.",
			Source: docsURL + "#internal-errors",
		},
	},
	{
		ID:       UnknownValue,
		Severity: Warning,
		Doc: Doc{
			Title: "value only known at deployment",
			Text: "An imported file (ARM template, Terraform plan) leaves values to be computed at deployment: an ARM " +
				"expression lbcheck does not evaluate, a Terraform attribute listed in after_unknown, or an address Azure " +
				"allocates. A rule that needs such a value skips the object instead of judging a placeholder. Each skipped " +
				"object is reported once, at the first of its unknown fields, naming the fields the rules needed, why each is " +
				"unknown and the rules that did not check it; a value no rule needs (a frontend's address when no guest is " +
				"linted) is not reported. Importers also report what they could not read at all: a copy loop they do not " +
				"expand, a pool membership they cannot resolve, a pool member whose NIC is in none of the input files.",
			Fix: "Pass the ARM parameters file (--parameters), lint the Terraform plan after values are known, " +
				"or add the missing `az network nic show` / `az network public-ip show` output; or accept the gap.",
			Source: docsURL + "#importers",
		},
	},
	{
		ID:       MissingReference,
		Severity: Error,
		Doc: Doc{
			Title: "reference to a missing object",
			Text: "A field names a frontend, backend pool, probe, VM, NIC, IP configuration, network security " +
				"group or subnet that is not declared (a subnet only in a virtual network whose subnets the " +
				"deployment declares). Azure Resource Manager rejects a load balancer whose rules reference " +
				"resources that do not exist, and a NIC or subnet associated with a missing network security group.",
			Fix:    "Declare the missing object, or correct the name so that it matches an existing one.",
			Source: "https://learn.microsoft.com/azure/load-balancer/components",
		},
	},
	{
		ID:       DuplicateName,
		Severity: Error,
		Doc: Doc{
			Title: "duplicate name",
			Text: "Two objects of the same kind in the same scope share a name (two rules of one load " +
				"balancer, two VMs, two guests for one VM). Azure requires child resource names to be unique, " +
				"and lbcheck could not tell which object a reference means.",
			Fix:    "Rename one of the objects and update the references to it.",
			Source: "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules",
		},
	},
	{
		ID:       ConflictingFloatingIP,
		Severity: Error,
		Doc: Doc{
			Title: "conflicting Floating IP attributes in a Terraform rule",
			Text: "A Terraform load-balancing or inbound NAT rule sets both floating_ip_enabled and its deprecated " +
				"alias enable_floating_ip, to different values. Which one the azurerm provider applies depends on " +
				"its version, so the deployed Floating IP setting is not what one of them says.",
			Fix:    "Keep only floating_ip_enabled (azurerm 4.x) and delete enable_floating_ip.",
			Source: "https://registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/lb_rule",
		},
	},
}

// MetaRule returns the meta rule with the given ID, or nil.
func MetaRule(id string) *Rule {
	for _, r := range Meta {
		if r.ID == id {
			return r
		}
	}
	return nil
}
