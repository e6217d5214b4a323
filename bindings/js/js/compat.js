// Drop-in replacements for the v2.2.0 ChittyID service's format helpers
// (`src/lib/chittyid-service.js` of the ChittyOS platform), with their signatures, answering by
// the real rule: a canonical `VV-G-LLL-SSSS-T-YYMM-C-XX` ID whose mod-97 checksum holds. The
// originals matched a regular expression of a shape the authority never minted, and asked a
// client object that opened a connection to the service on first use; these need neither.
import { isValid } from "chittyid-format";

/**
 * Whether `chittyId` is a canonical ChittyID. `options` is accepted for the original's
 * signature (`{ useCache }`); there is nothing to cache, a check takes well under a microsecond.
 */
export function validateChittyIDFormat(chittyId, options = {}) {
  void options;
  return typeof chittyId === "string" && isValid(chittyId);
}

/** The entity type letter (`P`, `L`, `T`, `E` or `A`) of a canonical ChittyID, or null. */
export function extractEntityType(chittyId) {
  if (!validateChittyIDFormat(chittyId)) {
    return null;
  }
  return chittyId.split("-")[4];
}

/** Whether `id` is a canonical ChittyID. */
export function isChittyID(id) {
  return validateChittyIDFormat(id);
}
