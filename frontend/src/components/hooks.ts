"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useToast } from "@/components/Providers";
import { api, ApiError } from "@/lib/api";
import type { AuthConfig, Catalog, Dataset, Page, User } from "@/lib/types";

export const useMe = () =>
  useQuery({ queryKey: ["me"], queryFn: () => api<User>("/auth/me", { allow401: true }), retry: false, staleTime: 60_000 });

export const useAuthConfig = () =>
  useQuery({
    queryKey: ["auth-config"],
    queryFn: async (): Promise<AuthConfig> => {
      try {
        return await api<AuthConfig>("/auth/config", { allow401: true });
      } catch {
        // Older API without the endpoint: offer local sign-in and let the API refuse it if off.
        return { local: true, google: !!process.env.NEXT_PUBLIC_GOOGLE_CLIENT_ID };
      }
    },
    staleTime: Infinity,
  });

export const useCatalog = () => useQuery({ queryKey: ["catalog"], queryFn: () => api<Catalog>("/catalog"), staleTime: Infinity });

export const useDatasets = () =>
  useQuery({ queryKey: ["datasets"], queryFn: () => api<Page<Dataset>>("/datasets?limit=200&offset=0") });

export function useIdParam(name = "id"): string | null {
  const params = useSearchParams();
  return params.get(name);
}

/** A detail page's resource (`/{collection}/{id}` from `?id=`) and its delete behind a confirmation. */
export function useDeletableResource<T>(collection: "datasets" | "models", label: string) {
  const id = useIdParam();
  const router = useRouter();
  const qc = useQueryClient();
  const toast = useToast();
  const [confirm, setConfirm] = useState(false);
  /** Why the API refused (409: saved workflows use it); the page then asks "delete anyway?". */
  const [inUse, setInUse] = useState<string | null>(null);
  const query = useQuery({
    queryKey: [collection.slice(0, -1), id],
    queryFn: () => api<T>(`/${collection}/${id}`),
    enabled: !!id,
  });
  const remove = useMutation({
    mutationFn: (force: boolean | void) => api(`/${collection}/${id}${force ? "?force=true" : ""}`, { method: "DELETE" }),
    onSuccess: () => {
      setInUse(null);
      toast.success(`${label} deleted`);
      qc.invalidateQueries({ queryKey: [collection] });
      router.push(`/${collection}/`);
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 409) {
        setInUse(e.detail.replace(/\s*Delete with force=true.*$/, ""));
        return;
      }
      setConfirm(false);
      toast.error(e, "Could not delete");
    },
  });
  const cancel = () => {
    setConfirm(false);
    setInUse(null);
  };
  return { id, query, remove, confirm, setConfirm, inUse, cancel };
}
