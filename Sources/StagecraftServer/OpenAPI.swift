/// The API described as OpenAPI 3.1, served at `/openapi.json`.
enum OpenAPI {
    static let document = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "Stagecraft",
  "version": "1.0.0",
  "description": "Personalization and template rendering: the one right message for a user and a slot, rendered from Liquid, checked as HTML. Errors are RFC 9457 problem documents."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {
   "secretKey": []
  }
 ],
 "paths": {
  "/v1/placements/{placement}": {
   "get": {
    "summary": "The block for one slot",
    "security": [
     {
      "secretKey": []
     },
     {
      "publishableKey": []
     }
    ],
    "parameters": [
     {
      "name": "placement",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "user_id",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "A known user's id (browsers add user_hash)."
     },
     {
      "name": "anonymous_id",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "A visitor who is not signed in."
     },
     {
      "name": "user_hash",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "Hex HMAC-SHA256 of user_id keyed with a secret key; required with a publishable key."
     },
     {
      "name": "context",
      "in": "query",
      "description": "Any other query parameter becomes the template's context (page, locale...).",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "The block; with Accept: text/html the fragment alone.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Block"
        }
       },
       "text/html": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "204": {
      "description": "Nothing to show; X-Stagecraft-Reason says why."
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/decide": {
   "post": {
    "summary": "Several slots of one page in one round trip",
    "security": [
     {
      "secretKey": []
     },
     {
      "publishableKey": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "placements"
        ],
        "additionalProperties": false,
        "properties": {
         "user_id": {
          "type": "string"
         },
         "anonymous_id": {
          "type": "string"
         },
         "user_hash": {
          "type": "string"
         },
         "placements": {
          "type": "array",
          "items": {
           "type": "string"
          },
          "minItems": 1,
          "maxItems": 20
         },
         "context": {
          "type": "object"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "stage": {
           "type": "string"
          },
          "blocks": {
           "type": "object",
           "additionalProperties": {
            "oneOf": [
             {
              "$ref": "#/components/schemas/Block"
             },
             {
              "type": "null"
             }
            ]
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/tours/{tour}": {
   "get": {
    "summary": "The steps of a tour this user should see",
    "security": [
     {
      "secretKey": []
     },
     {
      "publishableKey": []
     }
    ],
    "parameters": [
     {
      "name": "tour",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "user_id",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "A known user's id (browsers add user_hash)."
     },
     {
      "name": "anonymous_id",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "A visitor who is not signed in."
     },
     {
      "name": "user_hash",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "Hex HMAC-SHA256 of user_id keyed with a secret key; required with a publishable key."
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Tour"
        }
       }
      }
     },
     "204": {
      "description": "Not for this user now; X-Stagecraft-Reason says why."
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/emails/{template}/render": {
   "post": {
    "summary": "Render an email (JSON), or a stream of them (NDJSON in, NDJSON out)",
    "parameters": [
     {
      "name": "template",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "welcome, emails/welcome or the campaign id"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EmailRequest"
       }
      },
      "application/x-ndjson": {
       "schema": {
        "type": "string"
       },
       "description": "One EmailRequest per line; each answer line carries line and either the email or error."
      }
     }
    },
    "responses": {
     "200": {
      "description": "The email",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Email"
        }
       },
       "application/x-ndjson": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/messages/{template}/render": {
   "post": {
    "summary": "Render one message of any channel for a user (push, email, banner, tooltip, survey, tour), with its eligibility now (JSON), or a stream of them (NDJSON in, NDJSON out)",
    "parameters": [
     {
      "name": "template",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      },
      "description": "the template's name (push/trial-ending, emails/welcome) or its campaign id"
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EmailRequest"
       }
      },
      "application/x-ndjson": {
       "schema": {
        "type": "string"
       },
       "description": "One request per line; each answer line carries line and either the message or error."
      }
     }
    },
    "responses": {
     "200": {
      "description": "The message in its channel's form: fields for a push notification; subject, html, text and headers for an email; html for a block; steps for a tour",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Message"
        }
       },
       "application/x-ndjson": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "description": "The message did not render or failed its channel's checks (reason: render_error, invalid_html, invalid_output, with diagnostics), or the request is invalid",
      "content": {
       "application/problem+json": {
        "schema": {
         "$ref": "#/components/schemas/Problem"
        }
       }
      }
     }
    }
   }
  },
  "/v1/profiles/{id}": {
   "parameters": [
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "put": {
    "summary": "Create or replace a profile",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ProfileInput"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Profile"
        }
       }
      }
     },
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Profile"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "patch": {
    "summary": "Create or merge (RFC 7396 merge patch on traits)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ProfileInput"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Profile"
        }
       }
      }
     },
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Profile"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "get": {
    "summary": "A profile with its current stage",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Profile"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   },
   "delete": {
    "summary": "Remove a profile, its events and its ledger",
    "responses": {
     "204": {
      "description": "Removed"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/events": {
   "post": {
    "summary": "A batch of events, stored all or none",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "required": [
         "events"
        ],
        "properties": {
         "events": {
          "type": "array",
          "maxItems": 1000,
          "items": {
           "$ref": "#/components/schemas/Event"
          }
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "accepted": {
           "type": "integer"
          },
          "duplicates": {
           "type": "integer"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/interactions": {
   "post": {
    "summary": "An impression, click, dismissal or survey answer",
    "security": [
     {
      "secretKey": []
     },
     {
      "publishableKey": []
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Interaction"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Recorded",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "recorded": {
           "type": "string"
          },
          "campaign": {
           "type": "string"
          },
          "time": {
           "type": "string",
           "format": "date-time"
          }
         }
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/preview": {
   "post": {
    "summary": "Render any template for any profile, stage, time and zone, with diagnostics and the decision trace",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "properties": {
         "template": {
          "type": "string"
         },
         "source": {
          "type": "string",
          "description": "The template file's text, front matter included"
         },
         "profile_id": {
          "type": "string"
         },
         "profile": {
          "$ref": "#/components/schemas/InlineProfile"
         },
         "stage": {
          "type": "string"
         },
         "at": {
          "type": "string",
          "format": "date-time"
         },
         "time_zone": {
          "type": "string"
         },
         "data": {
          "type": "object"
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Preview"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/Problem"
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     },
     "413": {
      "$ref": "#/components/responses/Problem"
     },
     "415": {
      "$ref": "#/components/responses/Problem"
     },
     "422": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/content": {
   "get": {
    "summary": "Templates, campaigns, placements, stages, sample profiles",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/v1/content/status": {
   "get": {
    "summary": "The last reload and its errors",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ContentStatus"
        }
       }
      }
     }
    }
   }
  },
  "/v1/content/files/{path}": {
   "get": {
    "summary": "A content file's text",
    "parameters": [
     {
      "name": "path",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Problem"
     },
     "403": {
      "$ref": "#/components/responses/Problem"
     },
     "404": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/v1/content/reload": {
   "post": {
    "summary": "Reload the content folder now",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ContentStatus"
        }
       }
      }
     }
    }
   }
  },
  "/healthz": {
   "get": {
    "summary": "The process answers",
    "security": [],
    "responses": {
     "200": {
      "description": "ok"
     }
    }
   }
  },
  "/readyz": {
   "get": {
    "summary": "The database answers and content is loaded",
    "security": [],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "503": {
      "$ref": "#/components/responses/Problem"
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "summary": "Prometheus metrics",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "securitySchemes": {
   "secretKey": {
    "type": "http",
    "scheme": "bearer",
    "description": "A secret key (STAGECRAFT_SECRET_KEYS), for servers."
   },
   "publishableKey": {
    "type": "http",
    "scheme": "bearer",
    "description": "A publishable key (STAGECRAFT_PUBLISHABLE_KEYS), for browsers; also as X-Stagecraft-Key or ?key=."
   }
  },
  "responses": {
   "Problem": {
    "description": "What went wrong and what to fix",
    "content": {
     "application/problem+json": {
      "schema": {
       "$ref": "#/components/schemas/Problem"
      }
     }
    }
   }
  },
  "schemas": {
   "Problem": {
    "type": "object",
    "required": [
     "type",
     "title",
     "status",
     "code",
     "detail"
    ],
    "properties": {
     "type": {
      "type": "string",
      "format": "uri"
     },
     "title": {
      "type": "string"
     },
     "status": {
      "type": "integer"
     },
     "code": {
      "type": "string"
     },
     "detail": {
      "type": "string"
     },
     "field": {
      "type": "string"
     },
     "line": {
      "type": "integer"
     },
     "column": {
      "type": "integer"
     }
    }
   },
   "Block": {
    "type": "object",
    "properties": {
     "placement": {
      "type": "string"
     },
     "campaign": {
      "type": "string"
     },
     "variant": {
      "type": [
       "string",
       "null"
      ]
     },
     "channel": {
      "type": "string",
      "enum": [
       "banner",
       "tooltip",
       "tour",
       "survey",
       "email"
      ]
     },
     "stage": {
      "type": "string"
     },
     "source": {
      "type": "string",
      "enum": [
       "winner",
       "fallback",
       "default"
      ]
     },
     "html": {
      "type": "string"
     },
     "ttl": {
      "type": "integer"
     },
     "target": {
      "type": "string",
      "description": "Tooltips: the CSS selector of the element it points at."
     },
     "position": {
      "type": "string",
      "enum": [
       "top",
       "bottom",
       "left",
       "right"
      ],
      "description": "Tooltips: the side of the target it sits on."
     },
     "survey": {
      "type": "object",
      "description": "Surveys: what it asks. Send the answer as an interaction of kind answer with one of the choices' values.",
      "properties": {
       "question": {
        "type": "string"
       },
       "kind": {
        "type": "string",
        "enum": [
         "nps",
         "scale",
         "choice"
        ]
       },
       "choices": {
        "type": "array",
        "items": {
         "type": "object",
         "properties": {
          "value": {
           "type": "string"
          },
          "label": {
           "type": "string"
          }
         }
        }
       },
       "low": {
        "type": [
         "string",
         "null"
        ]
       },
       "high": {
        "type": [
         "string",
         "null"
        ]
       }
      }
     }
    }
   },
   "Tour": {
    "type": "object",
    "properties": {
     "tour": {
      "type": "string"
     },
     "campaign": {
      "type": "string"
     },
     "stage": {
      "type": "string"
     },
     "steps": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "number": {
         "type": "integer"
        },
        "target": {
         "type": "string"
        },
        "position": {
         "type": "string",
         "enum": [
          "top",
          "bottom",
          "left",
          "right"
         ]
        },
        "html": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "InlineProfile": {
    "type": "object",
    "required": [
     "id"
    ],
    "properties": {
     "id": {
      "type": "string"
     },
     "traits": {
      "type": "object"
     },
     "time_zone": {
      "type": "string"
     },
     "events": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "name": {
         "type": "string"
        },
        "time": {
         "type": "string",
         "format": "date-time"
        },
        "properties": {
         "type": "object"
        }
       }
      }
     }
    }
   },
   "EmailRequest": {
    "type": "object",
    "properties": {
     "id": {
      "description": "Echoed back, for matching batch answers"
     },
     "user_id": {
      "type": "string"
     },
     "anonymous_id": {
      "type": "string"
     },
     "profile": {
      "$ref": "#/components/schemas/InlineProfile"
     },
     "data": {
      "type": "object"
     },
     "stage": {
      "type": "string"
     },
     "at": {
      "type": "string",
      "format": "date-time"
     },
     "strict": {
      "type": "boolean"
     }
    }
   },
   "Message": {
    "type": "object",
    "required": ["template", "campaign", "channel", "user_id", "stage", "eligible"],
    "properties": {
     "id": {
      "description": "The request's id, when it gave one"
     },
     "template": {
      "type": "string"
     },
     "campaign": {
      "type": "string"
     },
     "channel": {
      "type": "string",
      "description": "banner, tooltip, survey, tour, email or push"
     },
     "user_id": {
      "type": "string"
     },
     "variant": {
      "type": [
       "string",
       "null"
      ]
     },
     "stage": {
      "type": "string"
     },
     "eligible": {
      "type": "boolean",
      "description": "Whether it would be sent now: stage, audience, schedule, time window, caps, trigger"
     },
     "rejection": {
      "type": [
       "object",
       "null"
      ]
     },
     "fields": {
      "type": "object",
      "description": "A push notification: title, body, and image and url when given, as text to send as it is",
      "additionalProperties": {
       "type": "string"
      }
     },
     "subject": {
      "type": "string"
     },
     "preheader": {
      "type": [
       "string",
       "null"
      ]
     },
     "html": {
      "type": "string"
     },
     "text": {
      "type": "string"
     },
     "headers": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "steps": {
      "type": "array",
      "items": {
       "type": "object"
      }
     },
     "warnings": {
      "type": "array",
      "items": {
       "type": "object"
      }
     }
    }
   },
   "Email": {
    "type": "object",
    "properties": {
     "template": {
      "type": "string"
     },
     "campaign": {
      "type": "string"
     },
     "user_id": {
      "type": "string"
     },
     "variant": {
      "type": [
       "string",
       "null"
      ]
     },
     "stage": {
      "type": "string"
     },
     "eligible": {
      "type": "boolean"
     },
     "rejection": {
      "type": [
       "object",
       "null"
      ]
     },
     "subject": {
      "type": "string"
     },
     "preheader": {
      "type": [
       "string",
       "null"
      ]
     },
     "html": {
      "type": "string"
     },
     "text": {
      "type": "string"
     },
     "headers": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      }
     },
     "warnings": {
      "type": "array",
      "items": {
       "type": "object"
      }
     }
    }
   },
   "ProfileInput": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "traits": {
      "type": "object"
     },
     "time_zone": {
      "type": "string"
     }
    }
   },
   "Profile": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "traits": {
      "type": "object"
     },
     "time_zone": {
      "type": [
       "string",
       "null"
      ]
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "updated_at": {
      "type": "string",
      "format": "date-time"
     },
     "stage": {
      "type": "string"
     }
    }
   },
   "Event": {
    "type": "object",
    "required": [
     "name"
    ],
    "additionalProperties": false,
    "properties": {
     "user_id": {
      "type": "string"
     },
     "anonymous_id": {
      "type": "string"
     },
     "name": {
      "type": "string",
      "maxLength": 128
     },
     "time": {
      "type": "string",
      "format": "date-time"
     },
     "properties": {
      "type": "object"
     },
     "message_id": {
      "type": "string",
      "description": "Makes a retried batch harmless"
     }
    }
   },
   "Interaction": {
    "type": "object",
    "required": [
     "campaign",
     "kind"
    ],
    "additionalProperties": false,
    "properties": {
     "user_id": {
      "type": "string"
     },
     "anonymous_id": {
      "type": "string"
     },
     "user_hash": {
      "type": "string"
     },
     "campaign": {
      "type": "string"
     },
     "kind": {
      "type": "string",
      "enum": [
       "impression",
       "click",
       "dismiss",
       "answer"
      ]
     },
     "placement": {
      "type": "string"
     },
     "variant": {
      "type": "string"
     },
     "time": {
      "type": "string",
      "format": "date-time",
      "description": "Secret keys only"
     },
     "answer": {
      "type": [
       "number",
       "string"
      ]
     }
    }
   },
   "Preview": {
    "type": "object",
    "properties": {
     "ok": {
      "type": "boolean"
     },
     "template": {
      "type": "string"
     },
     "channel": {
      "type": "string"
     },
     "stage": {
      "type": "string"
     },
     "output": {
      "type": [
       "object",
       "null"
      ]
     },
     "diagnostics": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "source": {
         "type": "string",
         "enum": [
          "liquid",
          "html",
          "content"
         ]
        },
        "file": {
         "type": "string"
        },
        "severity": {
         "type": "string"
        },
        "line": {
         "type": "integer"
        },
        "column": {
         "type": "integer"
        },
        "code": {
         "type": "string"
        },
        "message": {
         "type": "string"
        }
       }
      }
     },
     "decision": {
      "type": "object",
      "description": "The decision for the template's placement (or the template itself): whether this campaign is eligible, which one is shown, the placement's default, and every candidate with why it won or lost.",
      "properties": {
       "target": { "type": "string" },
       "eligible": { "type": "boolean" },
       "chosen": { "type": ["string", "null"] },
       "default": { "type": ["string", "null"] },
       "reason": { "type": ["string", "null"] },
       "tie_break": { "type": "string" },
       "trace": {
        "type": "array",
        "items": {
         "type": "object",
         "properties": {
          "campaign": { "type": "string" },
          "priority": { "type": "integer" },
          "outcome": { "type": "string", "enum": ["chosen", "rejected"] },
          "reason": { "type": "string" },
          "detail": { "type": "string" }
         }
        }
       }
      }
     }
    }
   },
   "ContentStatus": {
    "type": "object",
    "properties": {
     "ok": {
      "type": "boolean"
     },
     "generation": {
      "type": "integer"
     },
     "loaded_at": {
      "type": "string",
      "format": "date-time"
     },
     "last_attempt": {
      "type": "string",
      "format": "date-time"
     },
     "errors": {
      "type": "array",
      "items": {
       "type": "object"
      }
     },
     "warnings": {
      "type": "array",
      "items": {
       "type": "object"
      }
     }
    }
   }
  }
 }
}
"""#
}
