/**
  The sandbox both of the module's services run in (the daemon's, and root's
  activation): a read-only system with only their own directories writable,
  no devices, no kernel or clock access, no capabilities, no new privileges,
  the system calls of an ordinary service (a filtered call fails with EPERM,
  which Node reports, instead of killing it), Unix and IP sockets only (an
  evaluation may fetch). Each unit adds what differs.

  # Example

  ```nix
  serviceConfig = import ./sandbox.nix // { ReadWritePaths = [ "/var/spool/nix-pgo" ]; };
  ```
*/
{
  ProtectSystem = "strict";
  ProtectHome = "read-only";
  PrivateTmp = true;
  PrivateDevices = true;
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectClock = true;
  ProtectHostname = true;
  RestrictNamespaces = true;
  RestrictRealtime = true;
  RestrictSUIDSGID = true;
  LockPersonality = true;
  NoNewPrivileges = true;
  CapabilityBoundingSet = "";
  RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" ];
  SystemCallArchitectures = "native";
  SystemCallFilter = [ "@system-service" ];
  SystemCallErrorNumber = "EPERM";
}
