export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

export function parseRole(text: string): Role | null {
  return (Object.values(Role) as string[]).includes(text) ? (text as Role) : null;
}
