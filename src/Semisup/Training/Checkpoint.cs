using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Semisup.Models;
using Semisup.Optim;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Semisup.Recipes;

namespace Semisup.Training;

/// <summary>Where a run stands: enough, with the model and optimizer state, to resume exactly.</summary>
public sealed record TrainingState(int Epoch, int BestEpoch, double BestValidationAccuracy, double WallSeconds);

/// <summary>What a checkpoint holds besides tensors: the recipe, the model's signature, the training state and, once
/// fitted, the temperature scoring divides the logits by (<see cref="Classifier.Temperature"/>; absent in older files).</summary>
public sealed record CheckpointHeader(string Format, string Model, string Signature, Recipe Recipe, TrainingState State,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Temperature = null);

/// <summary>The header without its recipe, which <see cref="RecipeFile"/> reads.</summary>
sealed record HeaderFields(string Format, string Model, string Signature, TrainingState State, double? Temperature = null);

/// <summary>What training works on: the model, its optimizer, the weight average when the recipe keeps one, and where
/// the run stands.</summary>
public sealed record Learner(Classifier Model, IOptimizer Optimizer, WeightAverage? Average, TrainingState State) : IDisposable
{
    public void Dispose()
    {
        Optimizer.Dispose();
        Average?.Dispose();
        Model.Dispose();
    }
}

/// <summary>One file: magic, a JSON header, the model state, then optionally the optimizer and RNG state and, for a run
/// that averages weights (whose model state is the average), the trained weights; last, the SHA-256 of all that,
/// checked on every load, so a changed byte is an error rather than a different model.
/// Written to a temporary file and renamed, so a crash or a full disk leaves the previous checkpoint intact.</summary>
public static class Checkpoint
{
    const string Magic = "SEMISUP-CKPT-2", FirstMagic = "SEMISUP-CKPT-1";
    const int HashBytes = 32;

    /// <summary>Far above any network a recipe may build on this machine's memory; a larger file is refused unread.</summary>
    const long MaxBytes = 4L << 30;

    /// <summary>Writes <paramref name="model"/> (what evaluation and prediction load, with its temperature if it has one), and with <paramref name="optimizer"/>
    /// what resuming needs: its state, the RNG's and, when the run averages weights (then <paramref name="model"/> is the
    /// average), the <paramref name="trained"/> weights.</summary>
    public static void Save(string path, Classifier model, Recipe recipe, TrainingState state, IOptimizer? optimizer, Classifier? trained = null)
    {
        if (trained != null && optimizer == null) throw new ArgumentException("The trained weights are saved only for resuming, with the optimizer's state.", nameof(trained));
        try
        {
            using var content = new MemoryStream();
            using (var w = new BinaryWriter(content, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(JsonSerializer.Serialize(new CheckpointHeader(Magic, model.GetType().Name, model.Signature(), recipe, state, model.Temperature), RecipeFile.Json));
                model.save(w);
                w.Write(optimizer != null);
                if (optimizer != null)
                {
                    optimizer.Save(w);
                    using var rng = torch.random.get_rng_state();
                    var bytes = rng.data<byte>().ToArray();
                    w.Write(bytes.Length);
                    w.Write(bytes);
                    w.Write(trained != null);
                    trained?.save(w);
                }
            }
            content.Position = 0;
            RefuseUnloadable(content, path, model);
            WriteVerified(content, path);
        }
        catch (IOException e)
        {
            throw new SemisupException($"Could not save checkpoint {path} ({e.Message}); the previous checkpoint, if any, is intact.", e);
        }
    }

    /// <summary>Writes <paramref name="content"/> and its SHA-256 to a temporary file beside <paramref name="path"/>, then
    /// renames it over <paramref name="path"/>: a kill or a full disk leaves the previous file whole.</summary>
    static void WriteVerified(MemoryStream content, string path)
    {
        var temp = path + ".tmp";
        try
        {
            content.Position = 0;
            var hash = SHA256.HashData(content);
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                content.Position = 0;
                content.CopyTo(file);
                file.Write(hash);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>A checkpoint is replaced only by one that loads back: its header must parse, its tensors match it, and
    /// its recipe build the network whose weights it holds. Building draws initial weights, so the random generator is
    /// put back: saving must not change what training draws next.</summary>
    static void RefuseUnloadable(MemoryStream content, string path, Classifier model)
    {
        string built;
        try
        {
            var header = ReadBack(content, path);
            using var rng = torch.random.get_rng_state();
            try
            {
                using var fresh = Factory.Model(header.Recipe);
                built = fresh.Signature();
            }
            finally { torch.random.set_rng_state(rng); }
        }
        catch (SemisupException e)
        {
            throw new SemisupException($"Did not save {path}: it could not be loaded back ({e.Message}); the previous checkpoint, if any, is intact.", e);
        }
        if (built != model.Signature())
            throw new SemisupException($"Did not save {path}: its recipe builds another network than the one saved ({model.GetType().Name}), so it could not be loaded back; the previous checkpoint, if any, is intact.");
    }

    /// <summary>The header of a checkpoint's content about to be written, once it parses and its tensors match it.</summary>
    static CheckpointHeader ReadBack(MemoryStream content, string path)
    {
        using var r = new BinaryReader(content, Encoding.UTF8, leaveOpen: true);
        var header = Header(r, path);
        CheckTensors(r, path, header);
        return header;
    }

    /// <summary>A warning for a checkpoint of the first format, which has no checksum: a changed byte in it goes unnoticed.
    /// Null for a verified one.</summary>
    public static string? Unverified(string path, CheckpointHeader header) => header.Format == FirstMagic
        ? $"warning: {path} is of the first checkpoint format, without a checksum, so a changed or corrupt byte in it would go unnoticed; if you trust it, save it verified with `semisup checkpoint upgrade {path}`."
        : null;

    /// <summary>Re-saves a checkpoint of the first format with its SHA-256 (the second format), its content otherwise
    /// unchanged, once it loads whole (and resumes, if it holds optimizer state); atomically. False if it was verified
    /// already, and left as it was.</summary>
    public static bool Upgrade(string path)
    {
        var header = ReadHeader(path);
        if (header.Format == Magic) return false;
        Load(path).Model.Dispose();
        bool resumable;
        using (var r = Open(path))
        {
            Header(r, path);
            SkipTensors(r);
            resumable = r.ReadBoolean();
        }
        if (resumable)
        {
            // Resuming restores the random generator's state; put it back, as nothing here trains.
            using var rng = torch.random.get_rng_state();
            try { Resume(path, m => Factory.Optimizer(m, header.Recipe)).Dispose(); }
            finally { torch.random.set_rng_state(rng); }
        }
        Rewrite(path, json => json["format"] = Magic);
        return true;
    }

    /// <summary>Stores <paramref name="temperature"/> in a checkpoint's header (<see cref="CheckpointHeader.Temperature"/>),
    /// its content otherwise unchanged, atomically and only once the new file reads back with it. A file of the first
    /// format is refused: saving it would vouch for bytes nobody verified.</summary>
    public static void SaveTemperature(string path, double temperature)
    {
        if (!double.IsFinite(temperature) || temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "a temperature is a positive number");
        RequireVerified(path, ReadHeader(path));
        var header = Rewrite(path, json => json["temperature"] = temperature);
        if (header.Temperature != temperature)
            throw new SemisupException($"Did not save {path}: its temperature read back as {header.Temperature}, not {temperature}; the checkpoint is unchanged.");
    }

    /// <summary>Refuses a checkpoint of the first format, without a checksum, for an operation that saves it again.</summary>
    public static void RequireVerified(string path, CheckpointHeader header)
    {
        if (header.Format != Magic)
            throw new SemisupException($"{path}: is of the first checkpoint format, without a checksum; if you trust it, run `semisup checkpoint upgrade {path}` first, then calibrate it.");
    }

    /// <summary>Writes a checkpoint again with its header JSON edited and the format's magic, the rest as it was, once
    /// the new content's header parses and its tensors match; returns that header.</summary>
    static CheckpointHeader Rewrite(string path, Action<JsonObject> edit)
    {
        using var content = new MemoryStream();
        using (var r = Open(path))
        using (var w = new BinaryWriter(content, Encoding.UTF8, leaveOpen: true))
        {
            r.ReadString();
            var json = JsonNode.Parse(r.ReadString()) as JsonObject ?? throw new SemisupException($"{path}: empty checkpoint header.");
            edit(json);
            w.Write(Magic);
            w.Write(json.ToJsonString(RecipeFile.Json));
            r.BaseStream.CopyTo(content);
        }
        content.Position = 0;
        CheckpointHeader header;
        try { header = ReadBack(content, path); }
        catch (SemisupException e) { throw new SemisupException($"Did not save {path}: it could not be loaded back ({e.Message}); the checkpoint is unchanged.", e); }
        try { WriteVerified(content, path); }
        catch (IOException e) { throw new SemisupException($"Could not save checkpoint {path} ({e.Message}); it is unchanged.", e); }
        return header;
    }

    public static CheckpointHeader ReadHeader(string path)
    {
        using var r = Open(path);
        return Header(r, path);
    }

    /// <summary>The model a checkpoint holds (with weight averaging, the average), in a new model built from its recipe,
    /// with the checkpoint's temperature.</summary>
    public static (Classifier Model, CheckpointHeader Header) Load(string path, Func<Recipe, Classifier>? build = null)
    {
        using var r = Open(path);
        var header = Header(r, path);
        CheckTensors(r, path, header);
        Classifier model = null!;
        Guard(path, made =>
        {
            made.Add(model = (build ?? Factory.Model)(header.Recipe));
            ReadModel(r, path, header, model);
            model.Temperature = header.Temperature;
        });
        return (model, header);
    }

    /// <summary>What a run left in its last checkpoint to continue exactly: the trained model, its optimizer (made by
    /// <paramref name="newOptimizer"/>, then restored), the RNG state, and the weight average if the run keeps one.</summary>
    public static Learner Resume(string path, Func<Classifier, IOptimizer> newOptimizer)
    {
        using var r = Open(path);
        var header = Header(r, path);
        CheckTensors(r, path, header);
        bool averaging = header.Recipe.AverageDecay > 0;
        Learner resumed = null!;
        Guard(path, made =>
        {
            var saved = Factory.Model(header.Recipe);
            made.Add(saved);
            ReadModel(r, path, header, saved);
            var trained = averaging ? Factory.Model(header.Recipe) : saved;
            made.Add(trained);
            var optimizer = newOptimizer(trained);
            made.Add(optimizer);
            if (!r.ReadBoolean()) throw new SemisupException($"{path}: holds no optimizer state, so it cannot be resumed from.");
            optimizer.Load(r);
            // A NaN moment would turn the first step's update into NaN, which training reports as a diverged loss.
            if (optimizer.State().Any(t => !torch.isfinite(t).all().item<bool>()))
                throw new SemisupException($"{path}: corrupt checkpoint: its optimizer state holds a value that is not a finite number.");
            int rngLength = r.ReadInt32();
            // ReadBytes allocates the length it is given before it reads.
            if (rngLength < 0 || rngLength > r.BaseStream.Length - r.BaseStream.Position)
                throw new SemisupException($"{path}: corrupt checkpoint: its random generator's state is cut short.");
            var rngState = r.ReadBytes(rngLength);
            // Checkpoints from before weight averaging end here.
            bool hasTrained = r.BaseStream.Position < r.BaseStream.Length && r.ReadBoolean();
            if (hasTrained != averaging) throw new SemisupException($"{path}: corrupt checkpoint: its recipe and its contents disagree about weight averaging.");
            if (averaging)
            {
                trained.load(r, strict: true);
                RefuseNonFinite(trained, path);
            }
            // Checkpoints written from 083f72b to 34549c3 end with a flag, true only when FreeMatch's threshold averages follow.
            if (r.BaseStream.Position < r.BaseStream.Length && r.ReadBoolean())
                throw new SemisupException($"{path}: its run kept the averages of FreeMatch's self-adaptive threshold, which Semisup no longer has; check out {LegacyRecipe.AdaptiveThresholdRetiredAt} to resume it.");
            // Set last, so a refused file leaves the generator alone.
            using var rng = tensor(rngState, ScalarType.Byte);
            torch.random.set_rng_state(rng);
            resumed = new(trained, optimizer, averaging ? new WeightAverage(saved, trained, header.Recipe.AverageDecay) : null, header.State);
        });
        return resumed;
    }

    static void ReadModel(BinaryReader r, string path, CheckpointHeader header, Classifier model)
    {
        if (model.Signature() != header.Signature)
            throw new SemisupException($"{path}: its parameters do not match this model ({header.Model}); it is from another architecture.");
        model.load(r, strict: true);
        RefuseNonFinite(model, path);
    }

    /// <summary>A weight that is NaN or infinite makes every answer meaningless (accuracy 9.80%, loss NaN): corrupt.</summary>
    static void RefuseNonFinite(Classifier model, string path)
    {
        foreach (var (name, tensor) in model.state_dict())
            if (tensor.is_floating_point() && !torch.isfinite(tensor).all().item<bool>())
                throw new SemisupException($"{path}: corrupt checkpoint: {name} holds a value that is not a finite number.");
    }

    /// <summary>Walks the model's tensor records (TorchSharp's format: their count, then each one's name, element type,
    /// shape and values) without reading the values, and refuses a file whose records differ from its header's names and
    /// shapes, whose values are not all there, or whose recipe declares more parameters than it holds: nothing is
    /// built, so a forged header cannot make the loader allocate more than the file holds.</summary>
    static void CheckTensors(BinaryReader r, string path, CheckpointHeader header)
    {
        long start = r.BaseStream.Position;
        string found;
        long values;
        try { (found, values) = SkipTensors(r); }
        catch (Exception e) when (e is EndOfStreamException or OverflowException or IOException or InvalidDataException)
        {
            throw new SemisupException($"{path}: corrupt checkpoint: its tensors are cut short or unreadable ({e.Message}).", e);
        }
        finally { r.BaseStream.Position = start; }
        if (found != header.Signature)
            throw new SemisupException($"{path}: corrupt checkpoint: its tensors' names and shapes differ from those its header declares (a {header.Model}).");
        if (header.Recipe.Model.Parameters > values)
            throw new SemisupException($"{path}: corrupt checkpoint: its recipe's network has {header.Recipe.Model.Parameters:N0} parameters but the file holds {values:N0} values; its header does not describe its weights.");
    }

    /// <summary>Reads past one module's tensor records; returns their signature (as <see cref="Classifier.Signature"/>
    /// writes it) and how many values they hold.</summary>
    static (string Signature, long Values) SkipTensors(BinaryReader r)
    {
        var stream = r.BaseStream;
        long count = Decode(r), values = 0;
        if (count > 100_000) throw new InvalidDataException($"{count:N0} tensors");
        var entries = new List<string>();
        for (long i = 0; i < count; i++)
        {
            var name = r.ReadString();
            long type = Decode(r), rank = Decode(r);
            // TorchSharp's ScalarType numbering: the types a state dict may hold, by their size in bytes.
            int size = type switch { 0 or 1 or 11 => 1, 2 or 5 or 15 => 2, 3 or 6 => 4, 4 or 7 => 8, _ => throw new InvalidDataException($"{name} has element type {type}") };
            if (rank > 8) throw new InvalidDataException($"{name} has {rank} dimensions");
            var shape = new long[rank];
            long n = 1;
            for (int d = 0; d < rank; d++) n = checked(n * (shape[d] = Decode(r)));
            long bytes = checked(n * size);
            if (bytes > stream.Length - stream.Position) throw new EndOfStreamException($"{name} ({string.Join("x", shape)}) ends past the end of the file");
            stream.Position += bytes;
            values += n;
            entries.Add($"{name}:{string.Join("x", shape)}");
        }
        return (string.Join(";", entries), values);
    }

    /// <summary>TorchSharp's 7-bit encoding of a non-negative long, refusing more than a long's bytes.</summary>
    static long Decode(BinaryReader r)
    {
        long result = 0;
        for (int i = 0; i < 9; i++)
        {
            long b = r.ReadByte();
            result |= (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        throw new InvalidDataException("a size of more than 63 bits");
    }

    /// <summary>Runs <paramref name="read"/>; if the file turns out corrupt, disposes what it made (and listed) and says so.</summary>
    static void Guard(string path, Action<List<IDisposable>> read)
    {
        var made = new List<IDisposable>();
        try { read(made); }
        catch (Exception e) when (e is SemisupException or EndOfStreamException or IOException or InvalidDataException or ArgumentException or InvalidOperationException)
        {
            foreach (var d in made.Distinct()) d.Dispose();
            throw e as SemisupException ?? new SemisupException($"{path}: corrupt or truncated checkpoint ({e.Message}).", e);
        }
    }

    /// <summary>The file's content, its checksum verified (files of the first format, from before checksums, have none:
    /// <see cref="Unverified"/> words the warning their readers give).</summary>
    static BinaryReader Open(string path)
    {
        // Opening a directory fails as "access denied", which would send the user after permissions.
        if (Directory.Exists(path)) throw new SemisupException($"{path}: is a directory; give a checkpoint file (such as {Path.Combine(path, "best.ckpt")}).");
        SafeFiles.RequireRegular(path, "a checkpoint file");
        byte[] bytes;
        try
        {
            // Read as long as the file says it is, so a device such as /dev/zero (length 0) is read as empty, not forever.
            using var file = File.OpenRead(path);
            if (!file.CanSeek) throw new SemisupException($"{path}: not a regular file; give a checkpoint file.");
            if (file.Length > MaxBytes) throw new SemisupException($"{path}: {file.Length:N0} bytes is larger than any checkpoint ({MaxBytes:N0} at most).");
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SemisupException($"{path}: cannot open checkpoint ({e.Message}).", e);
        }
        int content = bytes.Length;
        if (StartsWith(bytes, Magic))
        {
            content = bytes.Length - HashBytes;
            if (content < Magic.Length || !SHA256.HashData(bytes.AsSpan(0, content)).AsSpan().SequenceEqual(bytes.AsSpan(content)))
                throw new SemisupException($"{path}: corrupt checkpoint: its content does not match its SHA-256 (a changed or missing byte); use another checkpoint or train again.");
        }
        else if (!StartsWith(bytes, FirstMagic)) throw new SemisupException($"{path}: not a Semisup checkpoint.");
        return new BinaryReader(new MemoryStream(bytes, 0, content, writable: false), Encoding.UTF8);
    }

    /// <summary>BinaryWriter.Write(string): a one-byte length, then the characters.</summary>
    static bool StartsWith(byte[] bytes, string magic) =>
        bytes.Length > magic.Length && bytes[0] == magic.Length && bytes.AsSpan(1, magic.Length).SequenceEqual(Encoding.ASCII.GetBytes(magic));

    static CheckpointHeader Header(BinaryReader r, string path)
    {
        try
        {
            var magic = r.ReadString();
            if (magic is not (Magic or FirstMagic)) throw new SemisupException($"{path}: not a Semisup checkpoint.");
            // The recipe is read as a recipe file is, so headers of the flat form load too.
            var header = JsonNode.Parse(r.ReadString()) as JsonObject ?? throw new SemisupException($"{path}: empty checkpoint header.");
            var recipe = header["recipe"] ?? throw new SemisupException($"{path}: its header holds no recipe.");
            header.Remove("recipe");
            // Until distribution alignment left, headers held its running mean, null for every other run.
            if (header["state"] is JsonObject old && old.ContainsKey("methodState"))
            {
                if (old["methodState"] is not null)
                    throw new SemisupException($"{path}: its run kept distribution alignment's running mean, which Semisup no longer has; check out {LegacyRecipe.RetiredAt} to load or resume it.");
                old.Remove("methodState");
            }
            var read = header.Deserialize<HeaderFields>(RecipeFile.Json) ?? throw new SemisupException($"{path}: empty checkpoint header.");
            // Validated as a recipe file is: an edited header must not build another network or score another split.
            var parsed = RecipeFile.Parse(recipe.ToJsonString(), $"{path} (its recipe)");
            try { parsed.Validate(checkFiles: false); }
            catch (SemisupException e) { throw new SemisupException($"{path}: its recipe is invalid: {e.Message}", e); }
            if (read.State is not { Epoch: >= 0, BestEpoch: >= 0, BestValidationAccuracy: >= 0 and <= 1, WallSeconds: >= 0 } state
                || state.BestEpoch > state.Epoch || !double.IsFinite(state.WallSeconds))
                throw new SemisupException($"{path}: corrupt checkpoint: its training state (epoch {read.State?.Epoch}, best epoch {read.State?.BestEpoch}) is impossible.");
            if (read.Temperature is { } t && !(double.IsFinite(t) && t > 0))
                throw new SemisupException($"{path}: corrupt checkpoint: its temperature {t} is not a positive number.");
            // The format is the magic's, whatever the header says: only the magic decides whether the checksum is checked.
            return new(magic, read.Model, read.Signature, parsed, read.State, read.Temperature);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or IOException or FormatException)
        {
            throw new SemisupException($"{path}: not a Semisup checkpoint, or a corrupt one ({e.Message}).", e);
        }
    }
}
