import { Suspense } from "react";
import { Shell } from "@/components/Shell";

/** Every signed-in page: the top bar and sign-in guard, and a Suspense boundary for `useSearchParams`. */
export default function AppLayout({ children }: { children: React.ReactNode }) {
  return (
    <Shell>
      <Suspense>{children}</Suspense>
    </Shell>
  );
}
