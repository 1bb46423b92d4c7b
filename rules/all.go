package rules

// All returns every rule, in catalogue order. IDs are stable and never
// reused; a retired rule keeps its ID out of this list.
func All() []*Rule {
	return []*Rule{
		// AR1xx keys and identity
		missingPrimaryKey,
		replicaIdentityNothing,
		replicaIdentityFull,
		primaryKeyUpdate,
		queueTable,
		keyReuse,
		// AR2xx ID generation and sequences
		sequenceKey,
		int4Key,
		unloggedSequence,
		setvalUsage,
		maxPlusOne,
		idAllocator,
		// AR3xx constraints
		multipleUnique,
		deferrableUnique,
		exclusionConstraint,
		foreignKeyCascade,
		volatileDefault,
		volatileCheck,
		// AR4xx objects logical replication does not carry
		largeObject,
		unloggedTable,
		materializedView,
		foreignTable,
		generatedColumn,
		partitionedTable,
		toastMultiWriter,
		replicaIdentityExternalStorage,
		// AR5xx triggers, rules, functions
		triggerFiringMode,
		rewriteRule,
		functionSearchPath,
		eventTrigger,
		rowSecurity,
		// AR6xx workload
		hotRow,
		counterUpdate,
		rowLocking,
		advisoryLock,
		listenNotify,
		serializable,
		truncateRule,
		ddlInWorkload,
		upsertOnSecondaryUnique,
		longTransactions,
		// AR9xx server
		walLevel,
		trackCommitTimestamp,
		replicationCapacity,
		slotWALRetention,
		multipleDatabases,
		existingReplication,
		freezeSettings,
		collationProvider,
		outputPluginLibraries,
		// AR99x evidence
		workloadEvidence,
	}
}
