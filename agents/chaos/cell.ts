// One cell of the chaos table: an invariant's verdict on one scenario, with a short detail.
export type Status = "ok" | "FAIL" | "n/a";
export interface Cell {
  status: Status;
  detail: string;
}
export const ok = (detail: string): Cell => ({ status: "ok", detail });
export const fail = (detail: string): Cell => ({ status: "FAIL", detail });
export const na = (detail: string): Cell => ({ status: "n/a", detail });
