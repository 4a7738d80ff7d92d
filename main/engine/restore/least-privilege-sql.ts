// Which roles count as privileged for least-privilege restores (shared by the checklist and the restore).

/** Built-in roles whose members reach the server's files and programs, or all data. */
export const SERVER_REACHING_ROLES = ['pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files', 'pg_read_all_data', 'pg_write_all_data'];
/**
 * SQL: the privileged roles among all roles — superuser-like attributes, predefined roles (pg_*),
 * and members of any predefined role (signalling backends, reading settings, server files…).
 */
export const PRIVILEGED_ROLES_SQL = `
  SELECT r.rolname FROM pg_catalog.pg_roles r
   WHERE r.rolsuper OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls OR r.rolname LIKE 'pg\\_%'
      OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles b
                  WHERE (b.rolname = ANY ($1::text[]) OR b.rolname LIKE 'pg\\_%') AND b.oid <> r.oid AND b.rolname <> 'pg_database_owner'
                    AND pg_catalog.pg_has_role(r.oid, b.oid, 'MEMBER'))`;

/** Owns what a stranger's file gave to a privileged role or to nobody. NOLOGIN, no attributes, no memberships. */
export const STAND_IN_OWNER = 'lifeboat_restored';
