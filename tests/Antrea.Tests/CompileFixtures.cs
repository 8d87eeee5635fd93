using Datapath.Antrea.Compile;

namespace Datapath.Antrea.Tests;

/// <summary>
/// A cluster the compile starts from scratch: two bare nodes (no pod CIDRs, ports or MACs; node-a with its `ip route`,
/// node-b without, so the compile notes that it has no default route) and manifests that use
/// what the compile reads (pods with and without a nodeName, a named targetPort, a NodePort Service with ClientIP
/// affinity and externalTrafficPolicy Local, a Service fed by an Endpoints object, one by an EndpointSlice, one that
/// selects nothing, a NetworkPolicy isolating the client's egress to the web pods). Written into a temporary directory; deleted on Dispose.
/// </summary>
internal sealed class CompileFixtures : IDisposable
{
    public const string ClusterYaml = """
        cluster: { podCIDR: 10.10.0.0/16, serviceCIDR: 10.96.0.0/16 }
        nodes:
          - name: node-a
            nodeIP: 192.168.50.11
            routes: [ default via 192.168.50.1 dev eth0, 192.168.50.0/24 dev eth0 proto kernel scope link src 192.168.50.11 ]
            neighbors: [ { ip: 192.168.50.99, mac: 02:00:00:00:00:99, dev: eth0 } ]
          - { name: node-b, nodeIP: 192.168.50.12 }
        """;

    public const string Manifests = """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Pod
          metadata: { name: client, labels: { app: client } }
          spec: { nodeName: node-a, containers: [ { name: c, image: busybox } ] }
        - apiVersion: v1
          kind: Pod
          metadata: { name: web-1, labels: { app: web } }
          spec: { nodeName: node-a, containers: [ { name: w, image: nginx, ports: [ { name: http, containerPort: 8080 } ] } ] }
        - apiVersion: v1
          kind: Pod
          metadata: { name: web-2, labels: { app: web } }
          spec: { nodeName: node-b, containers: [ { name: w, image: nginx, ports: [ { name: http, containerPort: 8080 } ] } ] }
        - apiVersion: v1
          kind: Pod
          metadata: { name: web-3, labels: { app: web } }
          spec: { containers: [ { name: w, image: nginx, ports: [ { name: http, containerPort: 8080 } ] } ] }
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: web }
        spec:
          type: NodePort
          selector: { app: web }
          ports: [ { name: http, port: 80, targetPort: http } ]
          sessionAffinity: ClientIP
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }
          externalTrafficPolicy: Local
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: upstream-dns }
        spec: { ports: [ { name: dns, port: 53, protocol: UDP } ] }
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: { name: upstream-dns }
        subsets: [ { addresses: [ { ip: 192.168.50.99 } ], ports: [ { name: dns, port: 53, protocol: UDP } ] } ]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: sliced }
        spec: { clusterIP: 10.96.7.7, ports: [ { port: 9000 } ] }
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: { name: sliced-x1, labels: { kubernetes.io/service-name: sliced } }
        addressType: IPv4
        endpoints:
        - addresses: [ 10.10.1.50 ]
        - addresses: [ 10.10.1.51 ]
          conditions: { ready: false }
        ports: [ { name: "", port: 9000, protocol: TCP } ]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: idle }
        spec: { selector: { app: nothing }, ports: [ { port: 81 } ] }
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: client-to-web }
        spec:
          podSelector: { matchLabels: { app: client } }
          policyTypes: [ Egress ]
          egress:
          - to: [ { podSelector: { matchLabels: { app: web } } } ]
            ports: [ { protocol: TCP, port: 8080 } ]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: web }
        spec: { replicas: 3 }
        """;

    public CompileFixtures()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("compile").FullName;
        File.WriteAllText(ClusterPath, ClusterYaml);
        File.WriteAllText(ManifestsPath, Manifests);
    }

    public string Directory { get; }
    public string ClusterPath => Path.Combine(Directory, "cluster.yaml");
    public string ManifestsPath => Path.Combine(Directory, "app.yaml");
    public string Out => Path.Combine(Directory, "out");

    /// <summary>Writes <paramref name="text"/> as <paramref name="name"/> in the directory and returns its path.</summary>
    public string Write(string name, string text)
    {
        string path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>
    /// A compiled scenario, written out and compiled again from its own cluster.yaml and manifests.yaml with
    /// <paramref name="pipeline"/>, gives the same cluster.yaml and the same files (a compile is a fixed point).
    /// </summary>
    public static void AssertCompilesAgainTheSame(CompiledScenario first, CompilePipeline pipeline)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("recompile").FullName;
        try
        {
            ScenarioWriter.WriteDirectory(dir, first.Model, first.Files);
            var again = ClusterCompiler.Compile(Path.Combine(dir, "cluster.yaml"), [Path.Combine(dir, "manifests.yaml")], pipeline);
            Assert.Equal(ScenarioWriter.ClusterYaml(first.Model), ScenarioWriter.ClusterYaml(again.Model));
            Assert.Equal(first.Files.Keys.Order(StringComparer.Ordinal), again.Files.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, text) in first.Files.Where(f => f.Key != "manifests.yaml"))
                Assert.Equal(text, again.Files[name]);
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }
}
