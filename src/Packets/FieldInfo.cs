namespace Datapath.Packets;

/// <summary>
/// One row of the field registry: a matchable/writable field, its names, where it lives in
/// <see cref="FlowKey"/> and its rules (OVS's struct mf_field).
/// </summary>
public sealed class FieldInfo
{
    internal FieldInfo(FieldId id, string name, string[] aliases, FieldStorage storage, int offset, int bitWidth,
        bool maskable, bool writable, FieldPrerequisite prerequisite, FieldFormat format)
    {
        Id = id;
        Name = name;
        Aliases = aliases;
        Storage = storage;
        Offset = offset;
        BitWidth = bitWidth;
        Maskable = maskable;
        Writable = writable;
        Prerequisite = prerequisite;
        Format = format;
    }

    public FieldId Id { get; }
    /// <summary>The canonical ovs-fields(7) name, as dump-flows prints it.</summary>
    public string Name { get; }
    /// <summary>Other names: the OVS alternative name, the NXM_* and OXM_* names.</summary>
    public IReadOnlyList<string> Aliases { get; }
    public FieldStorage Storage { get; }
    /// <summary>Byte offset of the storage in FlowKey (for Xreg/Xxreg: of the first register).</summary>
    public int Offset { get; }
    public int BitWidth { get; }
    /// <summary>The field accepts an arbitrary bitwise mask (value/mask) in a match.</summary>
    public bool Maskable { get; }
    /// <summary>Actions (load, set_field, move destination) may write the field.</summary>
    public bool Writable { get; }
    public FieldPrerequisite Prerequisite { get; }
    public FieldFormat Format { get; }

    /// <summary>All ones over the field's width.</summary>
    public UInt128 FullMask => BitWidth >= 128 ? UInt128.MaxValue : (UInt128.One << BitWidth) - UInt128.One;

    public override string ToString() => Name;
}

/// <summary>How a field's value is laid out in FlowKey.</summary>
public enum FieldStorage
{
    U8,
    U16,
    U32,
    U64,
    /// <summary>Two ulongs, low word first.</summary>
    U128,
    /// <summary>Two consecutive u32 registers, the first the high half (xregN).</summary>
    Xreg,
    /// <summary>Four consecutive u32 registers, the first the most significant (xxregN).</summary>
    Xxreg,
}
