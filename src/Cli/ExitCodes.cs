namespace Datapath.Cli;

/// <summary>DESIGN.md: 0 ok, 1 the input was wrong, 2 an environment problem; 70 (sysexits' EX_SOFTWARE) a bug of ours.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int BadInput = 1;
    public const int Environment = 2;
    public const int Internal = 70;
}
