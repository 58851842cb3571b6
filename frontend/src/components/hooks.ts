"use client";
import { useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { api } from "@/lib/api";
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
