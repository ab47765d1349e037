#!/usr/bin/env python3
"""The common hand-written alternative the protocol benchmark measures Modelhub against: FastAPI
and uvicorn (Debian's python3-fastapi, python3-uvicorn) serving a TorchScript model with
python3-torch, answering the Open Inference Protocol's JSON request for one model.

Usage: fastapi_peer.py MODEL.pt PORT
"""
import sys

import torch
import uvicorn
from fastapi import FastAPI

torch.set_num_threads(1)
model = torch.jit.load(sys.argv[1])
model.eval()
app = FastAPI()


@app.get("/v2/health/ready")
def ready():
    return {"ready": True}


@app.post("/v2/models/{name}/infer")
def infer(name: str, body: dict):
    tensor = body["inputs"][0]
    x = torch.tensor(tensor["data"], dtype=torch.float32).reshape(tensor["shape"])
    with torch.no_grad():
        y = model(x)
    return {
        "model_name": name,
        "model_version": "1",
        "outputs": [
            {
                "name": "logits",
                "datatype": "FP32",
                "shape": list(y.shape),
                "data": y.flatten().tolist(),
            }
        ],
    }


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
