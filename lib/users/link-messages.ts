/** Said of a one-time link that cannot be used, whatever the reason (nobody learns which). Pure. */
export const LINK_UNUSABLE = "This link has expired, was already used or was withdrawn. Ask an administrator for a new one.";
