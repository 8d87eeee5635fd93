using Xunit.Abstractions;
using Xunit.Sdk;

namespace Datapath.EndToEnd.Tests.Lab;

/// <summary>Runs a class's tests in method-name order: the lab tests share one lab, and the fault tests (which break it) come last.</summary>
public sealed class ByNameOrderer : ITestCaseOrderer
{
    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase
        => testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
