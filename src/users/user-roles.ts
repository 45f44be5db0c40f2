export const ADMIN_ROLE = 'admin';

/**
 * The roles a user holds right now. ADMIN_PHONES is authoritative: the admin role comes from the
 * current list and the user's current phone, never from what was stored or signed earlier, so a
 * phone removed from the list loses it at its next request, refresh or login.
 */
export function effectiveRoles(
  user: { phone: string | null; roles: readonly string[] },
  adminPhones: ReadonlySet<string>,
): string[] {
  const roles = user.roles.filter((role) => role !== ADMIN_ROLE);
  if (user.phone && adminPhones.has(user.phone)) roles.push(ADMIN_ROLE);
  return roles;
}
