import { SignJWT } from 'jose';
import { DEV_JWT_SECRET } from '../../local/stack.ts';

/** A chat user's token for the local stack (its dev secret), like the one it prints for user 2. */
export const chatUserToken = (userId: number): Promise<string> =>
  new SignJWT({ user_id: userId, user_name: `bench-${userId}`, perms: ['ai:chat:list'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(DEV_JWT_SECRET));
