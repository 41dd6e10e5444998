"""The park's government departments (bureaus) that open scenarios, each with its Chief Digital
Officer (CDO), whose staff accounts approve the department's scenarios."""
