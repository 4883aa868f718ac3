/** The fixed list of regions a project can be created in. Pure. */
export const REGIONS = [
  { id: "us-3", label: "United States (East)" },
  { id: "us-5", label: "United States (West)" },
  { id: "eu-3", label: "Europe (Ireland)" },
  { id: "eu-5", label: "Europe (Frankfurt)" },
  { id: "ap-3", label: "Asia Pacific (Sydney)" },
] as const;

export type RegionId = (typeof REGIONS)[number]["id"];
export const REGION_IDS = REGIONS.map((r) => r.id) as [RegionId, ...RegionId[]];

export function regionLabel(id: string): string {
  return REGIONS.find((r) => r.id === id)?.label ?? id;
}

/** How a region is shown everywhere: its id and its place, "us-3 · United States (East)" (the id alone when unknown). */
export function regionName(id: string): string {
  const label = REGIONS.find((r) => r.id === id)?.label;
  return label ? `${id} · ${label}` : id;
}

export const PLANS = [
  { id: "starter", label: "Starter", summary: "Production, Staging and two Integration environments active; unlimited inactive." },
  { id: "pro", label: "Pro", summary: "Dedicated Production and Staging, plus Integration environments." },
] as const;

export function planLabel(id: string): string {
  return PLANS.find((p) => p.id === id)?.label ?? id;
}
