namespace Datapath.Cli.Tests.Compile;

/// <summary>
/// What the compile refuses, as a user meets it: one line `error: FILE:LINE:COL: what` pointing at the key or value
/// at fault (in the manifest, or in cluster.yaml), a hint where one helps, exit code 1, never a stack trace: what
/// the API server or the nodes would refuse, and what the compiled Antrea v0.10 pipeline with kube-proxy cannot
/// express, instead of a scenario that silently lacks it.
/// </summary>
public sealed class CompileErrorTests : IDisposable
{
    private static readonly string SeedDir = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Antrea", "Scenario");
    private readonly string _dir = Directory.CreateTempSubdirectory("compile-errors").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Pod = "apiVersion: v1\nkind: Pod\nmetadata: { name: p, labels: { role: backend } }\n";
    private const string Svc = "apiVersion: v1\nkind: Service\nmetadata: { name: s }\n";
    private const string Policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: { name: np }\nspec:\n  podSelector: { matchLabels: { role: backend } }\n";

    // A manifest, the text its error points at (the first occurrence of MARK), and the start of the message.
    public static TheoryData<string, string, string> Manifests => new()
    {
        { Pod + "spec: { nodeName: worker3 }\n", "worker3", "pod default/p: node 'worker3' is not in cluster.yaml" },
        { Pod + "spec: { nodeName: master }\n", "master", "pod default/p: node 'master' has no bridge in this compile" },
        { Pod + "spec: { nodeName: worker1 }\nstatus: { podIP: 10.222.2.9 }\n", "10.222.2.9", "pod default/p: status.podIP 10.222.2.9 is not in worker1's podCIDR 10.222.1.0/24" },
        { Pod + "spec: { nodeName: worker1 }\nstatus: { podIP: 10.222.1.48 }\n", "10.222.1.48", "pod default/p: status.podIP 10.222.1.48 is already worker1's default/frontend" },
        { Pod + "spec: { nodeName: worker1 }\nstatus: { podIP: fd00::5 }\n", "fd00::5", "pod default/p: status.podIP 'fd00::5' is not an IPv4 address" },
        { Svc + "spec: { type: LoadBalancer, ports: [ { port: 80 } ] }\n", "LoadBalancer", "service default/s: type LoadBalancer is not compiled" },
        { Svc + "spec: { type: Nodeport, ports: [ { port: 80 } ] }\n", "Nodeport", "service default/s: type 'Nodeport' is not a Service type (did you mean 'NodePort'?)" },
        { Svc + "spec: { clusterIP: 192.168.7.7, ports: [ { port: 80 } ] }\n", "192.168.7.7", "service default/s: clusterIP 192.168.7.7 is not in the service CIDR 10.96.0.0/12" },
        { Svc + "spec: { clusterIP: 10.104.65.133, ports: [ { port: 80 } ] }\n", "10.104.65.133", "service default/s: clusterIP 10.104.65.133 is already default/backendsvc's" },
        { Svc + "spec: { type: NodePort, ports: [ { port: 80, nodePort: 8080 } ] }\n", "8080", "service default/s: nodePort 8080 is not in 30000-32767" },
        { Svc + "spec: { type: NodePort, ports: [ { port: 80, nodePort: 31067 } ] }\n", "31067", "service default/s: nodePort 31067 is already kube-system/antrea-octant's" },
        { Svc + "spec: { ports: [ { port: 80, nodePort: 30080 } ] }\n", "30080", "service default/s: nodePort 30080 on a Service of type ClusterIP" },
        { Svc + "spec: { ports: [ { port: 80 } ], sessionAffinity: Sticky }\n", "Sticky", "service default/s: sessionAffinity 'Sticky' is not None or ClientIP" },
        { Svc + "spec: { ports: [ { port: 80 } ], externalTrafficPolicy: Local }\n", "Local", "service default/s: externalTrafficPolicy Local needs type NodePort" },
        { Svc + "spec: { ports: [ { port: 80 } ], externalIPs: [ 1.2.3.4 ] }\n", "[ 1.2.3.4", "service default/s: externalIPs are not compiled" },
        { Svc + "spec: { ports: [ { port: 80, protocol: ICMP } ] }\n", "ICMP", "service default/s: protocol 'ICMP' is not TCP, UDP or SCTP" },
        { Svc + "spec:\n  ports:\n  - { name: http, port: 80 }\n  - { port: 81 }\n", "{ port: 81", "service default/s: ports: a Service with more than one port names each of them" },
        { Svc + "spec: { ports: [ { port: 80 } ] }\n---\n" + Svc + "spec: { ports: [ { port: 81 } ] }\n", "{ name: s }\nspec: { ports: [ { port: 81", "Service default/s is given twice" },
        { Policy + "  ingress:\n  - from: [ { namespaceSelector: {} } ]\n", "namespaceSelector", "networkpolicy default/np: a namespaceSelector peer is not compiled" },
        { Policy + "  egress:\n  - to: [ { ipBlock: { cidr: 10.0.0.0/8 } } ]\n", "ipBlock", "networkpolicy default/np: an ipBlock peer is not compiled" },
        { Policy + "  ingress:\n  - from: [ { podSelector: { matchExpressions: [] } } ]\n", "matchExpressions", "networkpolicy default/np: matchExpressions are not compiled" },
        { Policy + "  ingress:\n  - ports: [ { port: http } ]\n", "http", "networkpolicy default/np: a named port ('http') is not compiled" },
        { Policy + "  ingress:\n  - ports: [ { port: 80, endPort: 90 } ]\n", "endPort", "networkpolicy default/np: endPort (a port range) is not compiled" },
        { "apiVersion: v1\nkind: Pod\nmetadata: { name: p, labels: { a: b }\n", "", "" },
        { "kind: Pod\nspec: {}\n", "kind", "Pod: 'metadata' is required" },
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public void A_manifest_the_compile_refuses_is_an_error_at_its_key(string manifest, string mark, string message)
    {
        string path = Path.Combine(_dir, "app.yaml");
        File.WriteAllText(path, manifest);
        var (code, _, err) = CompileCommandTests.Run("compile", path, "--cluster", Path.Combine(SeedDir, "cluster.yaml"), "--out", Path.Combine(_dir, "out"));
        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")), "nothing is written on an error");
        string first = err.Split('\n')[0];
        if (mark.Length == 0)
        {
            Assert.StartsWith($"error: {path}:", first, StringComparison.Ordinal); // YAML's own syntax error, located
            return;
        }
        var (line, column) = Location(manifest, mark);
        Assert.StartsWith($"error: {path}:{line}:{column}: {message}", first, StringComparison.Ordinal);
    }

    // cluster.yaml, the text its error points at, and the message.
    public static TheoryData<string, string, string> Clusters => new()
    {
        { "cluster: { cni: calico, podCIDR: 10.1.0.0/16, serviceCIDR: 10.96.0.0/12 }\nnodes:\n  - { name: a, nodeIP: 10.0.0.1, nodeMAC: 02:00:00:00:00:01, vxlan: { ip: 10.1.0.1/32, mac: 02:00:00:00:00:02 } }\n", "calico", "cni: calico: the compile writes Antrea v0.10's pipeline" },
        { "cluster: { podCIDR: 10.1.0.0/16 }\nnodes:\n  - { name: a, nodeIP: 10.0.0.1 }\n", "{ podCIDR", "cluster: serviceCIDR is required to compile" },
        { "cluster: { serviceCIDR: 10.96.0.0/12 }\nnodes:\n  - { name: a, nodeIP: 10.0.0.1 }\n", "{ serviceCIDR", "cluster: podCIDR is required to compile" },
        { "cluster: { podCIDR: 10.1.0.0/16, serviceCIDR: 10.96.0.0/12 }\nnodes:\n  - { name: a, nodeIP: 10.0.0.1, flow: a.flows }\n", "flow:", "node a: unknown key 'flow'" },
        { "cluster: { podCIDR: 10.1.0.0/16, serviceCIDR: 10.96.0.0/12 }\nnodes:\n  - { name: a, nodeIP: 10.0.0.1, podCIDR: 10.1.0.0/24, gateway: { ip: 10.2.0.1/24 } }\n", "10.2.0.1/24", "node a: the gateway's 10.2.0.1/24 is not in the node's podCIDR 10.1.0.0/24" },
    };

    [Theory]
    [MemberData(nameof(Clusters))]
    public void A_cluster_the_compile_refuses_is_an_error_in_cluster_yaml(string cluster, string mark, string message)
    {
        string path = Path.Combine(_dir, "cluster.yaml");
        File.WriteAllText(path, cluster);
        var (code, _, err) = CompileCommandTests.Run("compile", "--cluster", path, "--out", Path.Combine(_dir, "out"));
        Assert.Equal(1, code);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        var (line, column) = Location(cluster, mark);
        Assert.StartsWith($"error: {path}:{line}:{column}: ", err, StringComparison.Ordinal);
        Assert.Contains(message, err.Split('\n')[0], StringComparison.Ordinal);
    }

    // The 1-based line and column of the first occurrence of mark in text.
    private static (int Line, int Column) Location(string text, string mark)
    {
        int at = text.IndexOf(mark, StringComparison.Ordinal);
        Assert.True(at >= 0, $"'{mark}' is in the input");
        int lineStart = at == 0 ? 0 : text.LastIndexOf('\n', at - 1) + 1;
        return (text[..at].Count(c => c == '\n') + 1, at - lineStart + 1);
    }

    [Fact]
    public void A_full_pod_CIDR_and_a_full_service_CIDR_are_errors_at_the_object_that_does_not_fit()
    {
        string cluster = Path.Combine(_dir, "small.yaml");
        File.WriteAllText(cluster, "cluster: { podCIDR: 10.1.0.0/16, serviceCIDR: 10.96.0.0/30 }\nnodes:\n  - { name: a, nodeIP: 10.0.0.1, podCIDR: 10.1.0.0/30 }\n");
        string pods = Path.Combine(_dir, "pods.yaml");
        File.WriteAllText(pods, "kind: Pod\nmetadata: { name: p1 }\n---\nkind: Pod\nmetadata: { name: p2 }\n");
        var (code, _, err) = CompileCommandTests.Run("compile", pods, "--cluster", cluster, "--out", Path.Combine(_dir, "o"));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {pods}:5:19: pod default/p2: a's podCIDR 10.1.0.0/30 has no free address left", err, StringComparison.Ordinal);
        string services = Path.Combine(_dir, "services.yaml");
        File.WriteAllText(services, "kind: Service\nmetadata: { name: s1 }\nspec: { ports: [ { port: 80 } ] }\n---\nkind: Service\nmetadata: { name: s2 }\nspec: { ports: [ { port: 80 } ] }\n");
        (code, _, err) = CompileCommandTests.Run("compile", services, "--cluster", cluster, "--out", Path.Combine(_dir, "o"));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {services}:6:19: service default/s2: the service CIDR 10.96.0.0/30 has no free address left", err, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_and_a_file_for_out_are_named()
    {
        string cluster = Path.Combine(SeedDir, "cluster.yaml");
        var (code, _, err) = CompileCommandTests.Run("compile", Path.Combine(_dir, "nosuch.yaml"), "--cluster", cluster, "--out", Path.Combine(_dir, "o"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {Path.Combine(_dir, "nosuch.yaml")}: no such file", err.Trim());
        (code, _, err) = CompileCommandTests.Run("compile", "--cluster", Path.Combine(_dir, "none.yaml"), "--out", Path.Combine(_dir, "o"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {Path.Combine(_dir, "none.yaml")}: no such file", err.Trim());
        string file = Path.Combine(_dir, "afile");
        File.WriteAllText(file, "x");
        (code, _, err) = CompileCommandTests.Run("compile", "--cluster", cluster, "--out", file);
        Assert.Equal(1, code);
        Assert.Equal($"error: --out {file}: is a file, not a directory", err.Trim());
        (code, _, err) = CompileCommandTests.Run("compile", Path.Combine(SeedDir, "manifests.yaml"), "--cluster", cluster);
        Assert.Equal(1, code);
        Assert.Contains("--out", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
    }
}
