# Example values (placeholders): copy to terraform.tfvars and fill in your OCIDs.
tenancy_ocid                 = "ocid1.tenancy.oc1..aaaaaaaaexampletenancy"
region                       = "eu-frankfurt-1"
reports_compartment_ocid     = "ocid1.compartment.oc1..aaaaaaaaexamplesecurity"
audit_nodes_compartment_ocid = "ocid1.compartment.oc1..aaaaaaaaexampleokenodes"
