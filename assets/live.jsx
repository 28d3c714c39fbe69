// Pieces of the live pages that run in the browser (luckyclub/components/live.py).
//
// A countdown that ticks in the browser: the server sends a deadline once (Unix seconds) and
// nothing more; at zero it says "any moment now" (or `zeroText`) and, if the page asked for it,
// calls `onZero` once so the page can ask the server what happened.
import { useEffect, useRef, useState } from "react";

const unitStyle = { display: "flex", flexDirection: "column", alignItems: "center", minWidth: "3.2rem" };
const bigStyle = { fontSize: "var(--font-size-6)", fontWeight: "var(--font-weight-bold)", fontVariantNumeric: "tabular-nums", lineHeight: "var(--line-height-6)" };
const smallStyle = { fontSize: "var(--font-size-1)", color: "var(--gray-11)" };
const lineStyle = { fontSize: "var(--font-size-2)", fontWeight: "var(--font-weight-medium)", fontVariantNumeric: "tabular-nums" };

function twoDigits(n) {
  return n < 10 ? "0" + n : String(n);
}

function split(left) {
  return {
    days: Math.floor(left / 86400),
    hours: Math.floor((left % 86400) / 3600),
    minutes: Math.floor((left % 3600) / 60),
    seconds: left % 60,
  };
}

export function Countdown({ deadline, label, variant, zeroText, onZero }) {
  const [now, setNow] = useState(() => Date.now() / 1000);
  const fired = useRef(null);
  useEffect(() => {
    if (!deadline) return undefined;
    // Asks only when zero is crossed while the page is open, not for a deadline long past.
    const armed = deadline > Date.now() / 1000;
    let timer;
    const tick = () => {
      const t = Date.now() / 1000;
      setNow(t);
      if (t >= deadline) {
        if (armed && fired.current !== deadline) {
          fired.current = deadline;
          if (onZero) onZero();
        }
        return;
      }
      timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5); // on the second's edge
    };
    tick();
    return () => clearTimeout(timer);
  }, [deadline]);

  const left = deadline ? Math.max(0, Math.ceil(deadline - now)) : 0;
  if (left <= 0) {
    return (
      <span role="timer" aria-label={label} style={lineStyle}>
        {zeroText || "any moment now"}
      </span>
    );
  }
  const { days, hours, minutes, seconds } = split(left);
  if (variant === "short") {
    const clock = twoDigits(hours) + ":" + twoDigits(minutes) + ":" + twoDigits(seconds);
    return (
      <span role="timer" aria-label={label} style={lineStyle}>
        {days > 0 ? days + "d " + clock : clock}
      </span>
    );
  }
  const unit = (value, name) => (
    <div style={unitStyle} key={name}>
      <span style={bigStyle}>{value}</span>
      <span style={smallStyle}>{name}</span>
    </div>
  );
  return (
    <div role="timer" aria-label={label} style={{ display: "flex", gap: "var(--space-2)" }}>
      {unit(days, "days")}
      {unit(hours, "hours")}
      {unit(minutes, "min")}
      {unit(seconds, "sec")}
    </div>
  );
}

// Calls `onChange(value)` each time the server changes `value` (a room's version), not on the
// first render: the page loaded its data then.
export function WhenChanged({ value, onChange }) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (onChange) onChange(value);
  }, [value]);
  return null;
}
