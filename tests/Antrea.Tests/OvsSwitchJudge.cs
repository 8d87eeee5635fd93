using System.Diagnostics;

namespace Datapath.Antrea.Tests;

/// <summary>
/// Open vSwitch 3.1 itself as the judge of named tables: an ovsdb-server and an ovs-vswitchd with a
/// dummy datapath (<c>--enable-dummy=override</c>, as OVS's own tests run it), in a temporary directory,
/// with one bridge whose ports (type dummy, ofport_request) and Flow_Table names are the ones a test gives.
/// <c>ovs-ofctl</c> then reads table and port names from the switch as it does on an Antrea node. Both
/// daemons are this object's own processes (their pid files), stopped on Dispose.
/// </summary>
internal sealed class OvsSwitchJudge : IDisposable
{
    private const string Schema = "/usr/share/openvswitch/vswitch.ovsschema";
    private readonly string _dir;
    private readonly List<Process> _daemons = [];

    private OvsSwitchJudge(string dir) => _dir = dir;

    private static readonly Lazy<string?> s_skip = new(() =>
    {
        using var judge = TryStart("br0", [], [], out string? why);
        return why;
    });

    /// <summary>Why the judge cannot run here, or null.</summary>
    public static string? SkipReason => s_skip.Value;

    public string Bridge { get; private set; } = "";

    /// <summary>Starts the daemons with bridge <paramref name="bridge"/>, or returns null with why they cannot run here.</summary>
    /// <param name="nativeTunnels">Start ovs-vswitchd with <c>--enable-dummy</c> rather than <c>=override</c>, so that a port
    /// of type geneve is a native tunnel port (tnl_push/tnl_pop over a bridge given an address with netdev-dummy/ip4addr),
    /// as OVS's tunnel-push-pop tests run it; override makes every port type a plain dummy.</param>
    public static OvsSwitchJudge? TryStart(string bridge, IEnumerable<(uint OfPort, string Name)> ports, IEnumerable<KeyValuePair<byte, string>> tableNames, out string? skipReason, bool nativeTunnels = false)
    {
        skipReason = null;
        // unixctl socket paths are limited to 108 bytes: keep the directory short.
        string dir = Directory.CreateTempSubdirectory("ovs").FullName;
        var judge = new OvsSwitchJudge(dir) { Bridge = bridge };
        try
        {
            ExternalTools.Require("ovs-vswitchd", "openvswitch-switch");
            ExternalTools.Run("ovsdb-tool", "create", Path.Combine(dir, "conf.db"), Schema);
            judge.Start("ovsdb-server", Path.Combine(dir, "conf.db"), $"--remote=punix:{dir}/db.sock", $"--unixctl={dir}/ovsdb.ctl");
            judge.WaitFor("db.sock");
            judge.Vsctl("--no-wait", "init");
            judge.Start("ovs-vswitchd", $"unix:{dir}/db.sock", nativeTunnels ? "--enable-dummy" : "--enable-dummy=override", $"--unixctl={dir}/vswitchd.ctl");
            judge.WaitFor("vswitchd.ctl");
            var args = new List<string> { "add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=dummy" };
            foreach (var (ofport, name) in ports)
                args.AddRange(["--", "add-port", bridge, name, "--", "set", "interface", name, "type=dummy", $"ofport_request={ofport}"]);
            int n = 0;
            foreach (var (table, name) in tableNames)
            {
                args.AddRange(["--", $"--id=@t{n}", "create", "Flow_Table", $"name=\"{name.Replace("\"", "\\\"", StringComparison.Ordinal)}\""]);
                args.AddRange(["--", "add", "bridge", bridge, "flow_tables", $"{table}=@t{n}"]);
                n++;
            }
            judge.Vsctl([.. args]);
            return judge;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            skipReason = "Open vSwitch's ovs-vswitchd cannot run headless here (apt-get install -y openvswitch-switch): " + e.Message;
            judge.Dispose();
            return null;
        }
    }

    /// <summary>Runs ovs-appctl against the switch's ovs-vswitchd (netdev-dummy/receive, time/stop, time/warp, revalidator/purge); throws with its stderr when it fails.</summary>
    public string Appctl(params string[] args) => Tool("ovs-appctl", [$"--target={_dir}/vswitchd.ctl", .. args]);

    /// <summary>Sets options on a dummy interface (<c>ovs-vsctl set interface NAME options:K=V</c>), e.g. tx_pcap.</summary>
    public void SetInterfaceOptions(string name, params string[] options) => SetInterface(name, [.. options.Select(o => "options:" + o)]);

    /// <summary>Sets columns of an interface (<c>ovs-vsctl set interface NAME COLUMN=VALUE...</c>), e.g. type=internal, mac=.</summary>
    public void SetInterface(string name, params string[] columns) => Vsctl(["set", "interface", name, .. columns]);

    /// <summary>Sets columns of the bridge (<c>ovs-vsctl set bridge BRIDGE COLUMN=VALUE...</c>), e.g. other_config:hwaddr=.</summary>
    public void SetBridge(params string[] columns) => Vsctl(["set", "bridge", Bridge, .. columns]);

    /// <summary>Runs ovs-ofctl against the switch; throws with its stderr when it fails.</summary>
    public string Ofctl(params string[] args) => Tool("ovs-ofctl", args);

    /// <summary>Runs ovs-ofctl and returns its exit code and stderr instead of throwing.</summary>
    public (int Code, string Stdout, string Stderr) TryOfctl(params string[] args)
    {
        var psi = Psi("ovs-ofctl", args);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, err.Result);
    }

    private string Tool(string tool, string[] args)
    {
        var (code, stdout, stderr) = tool == "ovs-ofctl" ? TryOfctl(args) : Run(tool, args);
        return code == 0 ? stdout : throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited {code}: {stderr}");
    }

    private (int, string, string) Run(string tool, string[] args)
    {
        using var p = Process.Start(Psi(tool, args))!;
        var err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, err.Result);
    }

    private ProcessStartInfo Psi(string tool, string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
            psi.ArgumentList.Add(a);
        // ovs-ofctl finds BRIDGE.mgmt and ovs-vsctl the database under OVS_RUNDIR.
        psi.Environment["OVS_RUNDIR"] = _dir;
        psi.Environment["OVS_DBDIR"] = _dir;
        return psi;
    }

    /// <summary>Runs ovs-vsctl against the switch's database (add-br, add-port, set ...); throws with its stderr when it fails.</summary>
    public void Vsctl(params string[] args) => Tool("ovs-vsctl", [$"--db=unix:{_dir}/db.sock", "--timeout=10", .. args]);

    private void Start(string tool, params string[] args)
    {
        var psi = Psi(tool, [.. args, "--no-chdir", "-vconsole:off", $"--log-file={_dir}/{tool}.log"]);
        psi.RedirectStandardOutput = false;
        psi.RedirectStandardError = false;
        _daemons.Add(Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start"));
    }

    private void WaitFor(string file)
    {
        var sw = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(_dir, file)))
        {
            if (_daemons.Any(d => d.HasExited))
                throw new InvalidOperationException($"an OVS daemon exited before {file} appeared");
            if (sw.Elapsed > TimeSpan.FromSeconds(20))
                throw new TimeoutException($"{file} did not appear in 20 s");
            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        for (int i = _daemons.Count - 1; i >= 0; i--)
        {
            var d = _daemons[i];
            if (!d.HasExited)
                d.Kill();
            d.WaitForExit();
            d.Dispose();
        }
        _daemons.Clear();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
