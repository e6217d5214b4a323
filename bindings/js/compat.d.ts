// Drop-in replacements for the v2.2.0 ChittyID service's format helpers, with their signatures.

/** Whether `chittyId` is a canonical ChittyID (`options` is accepted and ignored). */
export function validateChittyIDFormat(chittyId: unknown, options?: { useCache?: boolean }): boolean;
/** The entity type letter of a canonical ChittyID, or null. */
export function extractEntityType(chittyId: unknown): string | null;
/** Whether `id` is a canonical ChittyID. */
export function isChittyID(id: unknown): boolean;
