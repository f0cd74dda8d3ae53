using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Semisup.Export;

/// <summary>An ONNX graph built node by node: each node's output gets a fresh name unless one is given, weights become
/// initializers. A thin layer over OnnxSharp's protobuf classes, which are generated from the official onnx.proto.</summary>
sealed class OnnxGraph
{
    public GraphProto Proto { get; } = new() { Name = "semisup" };
    int count;

    /// <summary>A float32 weight, stored as an initializer (little-endian raw data, as onnx.proto specifies).</summary>
    public string Weight(string name, Tensor t)
    {
        using var cpu = t.detach().cpu().to(ScalarType.Float32).contiguous();
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(cpu.shape);
        proto.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
        Proto.Initializer.Add(proto);
        return name;
    }

    /// <summary>A float32 scalar (rank 0), broadcast by the element-wise operators; one initializer however often it is asked for.</summary>
    public string Scalar(string name, double value)
    {
        if (Proto.Initializer.FirstOrDefault(i => i.Name == name) is { } existing)
            return existing.FloatData is [var v] && v == (float)value ? name : throw new ArgumentException($"initializer {name} exists with another value", nameof(name));
        var proto = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.FloatData.Add((float)value);
        Proto.Initializer.Add(proto);
        return name;
    }

    /// <summary>Adds a node of the default (ai.onnx) domain and returns the name of its one output.</summary>
    public string Node(string op, string[] inputs, AttributeProto[]? attributes = null, string? output = null)
    {
        output ??= $"{op.ToLowerInvariant()}_{++count}";
        var node = new NodeProto { OpType = op, Name = $"{op}_{Proto.Node.Count}" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (attributes != null) node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return output;
    }

    /// <summary>Gives the value a node computed a public name (a graph output's), in that node and where it is used.</summary>
    public void Rename(string from, string to)
    {
        foreach (var node in Proto.Node)
        {
            for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
        }
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, double value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A float32 tensor's name, shape and description; a null dimension is the dynamic batch size "N".</summary>
    public static ValueInfoProto Value(string name, string doc, params long?[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is { } v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        var type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } };
        return new ValueInfoProto { Name = name, Type = type, DocString = doc };
    }
}
